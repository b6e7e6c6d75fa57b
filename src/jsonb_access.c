/*
 * cowrie_json_ops over jsonb: containers are walked in place with
 * PostgreSQL's lookup functions; nothing is converted to text.
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "jsonb_access.h"

static void
node_from_value(const JsonbValue *v, cowrie_jnode *out)
{
	out->ptr = NULL;
	out->len = 0;
	switch (v->type)
	{
		case jbvNull:
			out->type = CJ_NULL;
			break;
		case jbvString:
			out->type = CJ_STRING;
			out->ptr = v->val.string.val;
			out->len = v->val.string.len;
			break;
		case jbvNumeric:
			out->type = CJ_NUMBER;
			out->ptr = v->val.numeric;
			break;
		case jbvBool:
			out->type = v->val.boolean ? CJ_TRUE : CJ_FALSE;
			break;
		case jbvBinary:
			out->type = JsonContainerIsObject(v->val.binary.data) ? CJ_OBJECT : CJ_ARRAY;
			out->ptr = v->val.binary.data;
			break;
		default:
			out->type = CJ_INVALID;
			break;
	}
}

static bool
jb_object_get(const cowrie_jnode *obj, const char *key, size_t keylen, cowrie_jnode *out)
{
	JsonbValue	res;

	if (obj->type != CJ_OBJECT ||
		getKeyJsonValueFromContainer((JsonbContainer *) obj->ptr, key, (uint32) keylen, &res) == NULL)
		return false;
	node_from_value(&res, out);
	return true;
}

static bool
jb_array_get(const cowrie_jnode *arr, size_t idx, cowrie_jnode *out)
{
	JsonbValue *v;

	if (arr->type != CJ_ARRAY)
		return false;
	v = getIthJsonbValueFromContainer((JsonbContainer *) arr->ptr, (uint32) idx);
	if (v == NULL)
		return false;
	node_from_value(v, out);
	pfree(v);
	return true;
}

static size_t
jb_size(const cowrie_jnode *c)
{
	return (c->type == CJ_OBJECT || c->type == CJ_ARRAY) ?
		JsonContainerSize((JsonbContainer *) c->ptr) : 0;
}

static bool
copy_text(const char *s, size_t len, char *buf, size_t bufsize, size_t *outlen)
{
	if (len > bufsize || memchr(s, '\0', len) != NULL)
		return false;
	memcpy(buf, s, len);
	*outlen = len;
	return true;
}

static bool
jb_object_first_key(const cowrie_jnode *obj, char *buf, size_t bufsize, size_t *len)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (obj->type != CJ_OBJECT)
		return false;
	it = JsonbIteratorInit((JsonbContainer *) obj->ptr);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			return copy_text(v.val.string.val, v.val.string.len, buf, bufsize, len);
	}
	return false;
}

static bool
jb_string(const cowrie_jnode *s, char *buf, size_t bufsize, size_t *len)
{
	/* jsonb refuses \u0000, so its strings need no NUL check: copy only. */
	if (s->type != CJ_STRING || s->len > bufsize)
		return false;
	memcpy(buf, s->ptr, s->len);
	*len = s->len;
	return true;
}

static bool
jb_number_int64(const cowrie_jnode *n, int64_t *out)
{
	char	   *text;
	bool		ok;

	if (n->type != CJ_NUMBER)
		return false;
	text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum((Numeric) n->ptr)));
	ok = cowrie_parse_int64(text, strlen(text), out);
	pfree(text);
	return ok;
}

const cowrie_json_ops cowrie_jsonb_ops = {
	jb_object_get,
	jb_array_get,
	jb_size,
	jb_size,
	jb_object_first_key,
	jb_string,
	jb_number_int64,
	NULL,						/* binary search per key is already cheap */
};

void
cowrie_jsonb_root(Jsonb *jb, cowrie_jnode *root)
{
	if (JB_ROOT_IS_SCALAR(jb))
	{
		JsonbValue *v = getIthJsonbValueFromContainer(&jb->root, 0);

		node_from_value(v, root);
		return;
	}
	root->type = JB_ROOT_IS_OBJECT(jb) ? CJ_OBJECT : CJ_ARRAY;
	root->ptr = &jb->root;
	root->len = 0;
}
