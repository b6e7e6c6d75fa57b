/*
 * Lazy JSON reader over text. See cowrie_json.h; PostgreSQL-free.
 *
 * Nothing here recurses: nested values are skipped by counting brackets
 * (respecting strings and escapes), so depth costs no stack, and each call
 * scans its bytes a bounded number of times. The structure of the levels a
 * caller walks is checked; skipped nested values are only bracket-matched
 * by count, which is enough on the already-valid text PostgreSQL hands us
 * and harmless on garbage.
 */
#include "cowrie_json.h"

#include <string.h>

static bool
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && is_ws((unsigned char) *p))
		p++;
	return p;
}

/*
 * End of the string starting at p (on its '"'), just past the closing quote.
 * memchr finds the next quote, and then the escapes before it, each stepped
 * over; a quote is searched for again only once an escape has passed it, so
 * every byte is looked at a bounded number of times.
 */
static const char *
skip_string(const char *p, const char *end)
{
	const char *quote = NULL;

	p++;
	while (p < end)
	{
		const char *escape;

		if (quote == NULL || quote < p)
		{
			quote = memchr(p, '"', (size_t) (end - p));
			if (quote == NULL)
				return NULL;
		}
		escape = memchr(p, '\\', (size_t) (quote - p));
		if (escape == NULL)
			return quote + 1;
		if (end - escape < 2)
			return NULL;
		p = escape + 2;
	}
	return NULL;
}

/* Skip an object or array starting at p by bracket counting. */
static const char *
skip_container(const char *p, const char *end)
{
	size_t		depth = 0;

	while (p < end)
	{
		switch (*p)
		{
			case '"':
				p = skip_string(p, end);
				if (p == NULL)
					return NULL;
				continue;
			case '{':
			case '[':
				depth++;
				break;
			case '}':
			case ']':
				if (depth == 0)
					return NULL;
				if (--depth == 0)
					return p + 1;
				break;
			default:
				break;
		}
		p++;
	}
	return NULL;
}

static const char *
skip_digits(const char *p, const char *end)
{
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p;
}

/* RFC 8259 number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static const char *
skip_number(const char *p, const char *end)
{
	const char *q;

	if (p < end && *p == '-')
		p++;
	if (p >= end || *p < '0' || *p > '9')
		return NULL;
	p = (*p == '0') ? p + 1 : skip_digits(p, end);
	if (p < end && *p == '.')
	{
		q = skip_digits(p + 1, end);
		if (q == p + 1)
			return NULL;
		p = q;
	}
	if (p < end && (*p == 'e' || *p == 'E'))
	{
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		q = skip_digits(p, end);
		if (q == p)
			return NULL;
		p = q;
	}
	return p;
}

static bool
literal_at(const char *p, const char *end, const char *lit)
{
	size_t		n = strlen(lit);

	return (size_t) (end - p) >= n && memcmp(p, lit, n) == 0;
}

/*
 * Read one value at p (no leading whitespace). Fills out and returns the
 * byte after the value, or NULL when no value starts there.
 */
static const char *
read_value(const char *p, const char *end, cj_value *out)
{
	const char *q;
	cj_type		t;

	if (p >= end)
		return NULL;
	switch (*p)
	{
		case '{':
			t = CJ_OBJECT;
			q = skip_container(p, end);
			break;
		case '[':
			t = CJ_ARRAY;
			q = skip_container(p, end);
			break;
		case '"':
			t = CJ_STRING;
			q = skip_string(p, end);
			break;
		case 't':
			t = CJ_TRUE;
			q = literal_at(p, end, "true") ? p + 4 : NULL;
			break;
		case 'f':
			t = CJ_FALSE;
			q = literal_at(p, end, "false") ? p + 5 : NULL;
			break;
		case 'n':
			t = CJ_NULL;
			q = literal_at(p, end, "null") ? p + 4 : NULL;
			break;
		default:
			t = CJ_NUMBER;
			q = skip_number(p, end);
			break;
	}
	if (q == NULL)
		return NULL;
	if (out != NULL)
	{
		out->type = t;
		out->p = p;
		out->len = (size_t) (q - p);
	}
	return q;
}

bool
cj_root(const char *doc, size_t len, cj_value *out)
{
	const char *end;
	const char *p;
	cj_value	v;

	if (doc == NULL || out == NULL)
		return false;
	end = doc + len;
	p = read_value(skip_ws(doc, end), end, &v);
	if (p == NULL || skip_ws(p, end) != end)
		return false;
	*out = v;
	return true;
}

bool
cj_root_of_json(const char *doc, size_t len, cj_value *out)
{
	const char *p;
	const char *last;

	if (doc == NULL || out == NULL)
		return false;
	p = skip_ws(doc, doc + len);
	last = doc + len;
	while (last > p && is_ws((unsigned char) last[-1]))
		last--;
	if (last - p >= 2 && ((p[0] == '{' && last[-1] == '}') || (p[0] == '[' && last[-1] == ']')))
	{
		out->type = p[0] == '{' ? CJ_OBJECT : CJ_ARRAY;
		out->p = p;
		out->len = (size_t) (last - p);
		return true;
	}
	return cj_root(doc, len, out);
}

static bool
is_container(const cj_value *v, char open)
{
	return v != NULL && v->p != NULL && v->len >= 2 && v->p[0] == open &&
		v->p[v->len - 1] == (open == '{' ? '}' : ']');
}

/*
 * Walks the members (or elements) of one container level. next() returns
 * 1 with the next member, 0 at the clean end, -1 on malformed text.
 */
typedef struct cj_iter
{
	const char *p;
	const char *end;			/* the closing bracket */
	bool		object;
	bool		first;
} cj_iter;

static void
iter_init(cj_iter *it, const cj_value *v, bool object)
{
	it->p = v->p + 1;
	it->end = v->p + v->len - 1;
	it->object = object;
	it->first = true;
}

static int
iter_next(cj_iter *it, cj_value *key, cj_value *val)
{
	const char *p = skip_ws(it->p, it->end);

	if (it->first)
	{
		if (p == it->end)
			return 0;
	}
	else
	{
		if (p == it->end)
			return 0;
		if (*p != ',')
			return -1;
		p = skip_ws(p + 1, it->end);
	}
	it->first = false;
	if (it->object)
	{
		if (p >= it->end || *p != '"')
			return -1;
		p = read_value(p, it->end, key);
		if (p == NULL)
			return -1;
		p = skip_ws(p, it->end);
		if (p >= it->end || *p != ':')
			return -1;
		p = skip_ws(p + 1, it->end);
	}
	p = read_value(p, it->end, val);
	if (p == NULL)
		return -1;
	it->p = p;
	return 1;
}

/*
 * Decodes one step of a JSON string body: one raw byte or one escape.
 * Writes 1-4 UTF-8 bytes to u and returns how many, or 0 on a bad escape,
 * a \u0000, or a lone surrogate. *pp advances past what was consumed.
 */
static int
decode_step(const char **pp, const char *end, unsigned char u[4])
{
	const char *p = *pp;
	unsigned long cp;
	int			i;

	if (*p != '\\')
	{
		if (*p == '\0')
			return 0;
		u[0] = (unsigned char) *p;
		*pp = p + 1;
		return 1;
	}
	if (end - p < 2)
		return 0;
	switch (p[1])
	{
		case '"':
		case '\\':
		case '/':
			u[0] = (unsigned char) p[1];
			break;
		case 'b':
			u[0] = '\b';
			break;
		case 'f':
			u[0] = '\f';
			break;
		case 'n':
			u[0] = '\n';
			break;
		case 'r':
			u[0] = '\r';
			break;
		case 't':
			u[0] = '\t';
			break;
		case 'u':
			{
				unsigned long hi = 0;

				if (end - p < 6)
					return 0;
				for (i = 2; i < 6; i++)
				{
					unsigned char c = (unsigned char) p[i];
					int			d;

					if (c >= '0' && c <= '9')
						d = c - '0';
					else if (c >= 'a' && c <= 'f')
						d = c - 'a' + 10;
					else if (c >= 'A' && c <= 'F')
						d = c - 'A' + 10;
					else
						return 0;
					hi = (hi << 4) | (unsigned long) d;
				}
				p += 6;
				cp = hi;
				if (hi >= 0xDC00 && hi <= 0xDFFF)
					return 0;
				if (hi >= 0xD800 && hi <= 0xDBFF)
				{
					unsigned long lo = 0;

					if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
						return 0;
					for (i = 2; i < 6; i++)
					{
						unsigned char c = (unsigned char) p[i];
						int			d;

						if (c >= '0' && c <= '9')
							d = c - '0';
						else if (c >= 'a' && c <= 'f')
							d = c - 'a' + 10;
						else if (c >= 'A' && c <= 'F')
							d = c - 'A' + 10;
						else
							return 0;
						lo = (lo << 4) | (unsigned long) d;
					}
					if (lo < 0xDC00 || lo > 0xDFFF)
						return 0;
					p += 6;
					cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
				}
				*pp = p;
				if (cp == 0)
					return 0;
				if (cp < 0x80)
				{
					u[0] = (unsigned char) cp;
					return 1;
				}
				if (cp < 0x800)
				{
					u[0] = (unsigned char) (0xC0 | (cp >> 6));
					u[1] = (unsigned char) (0x80 | (cp & 0x3F));
					return 2;
				}
				if (cp < 0x10000)
				{
					u[0] = (unsigned char) (0xE0 | (cp >> 12));
					u[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
					u[2] = (unsigned char) (0x80 | (cp & 0x3F));
					return 3;
				}
				u[0] = (unsigned char) (0xF0 | (cp >> 18));
				u[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3F));
				u[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
				u[3] = (unsigned char) (0x80 | (cp & 0x3F));
				return 4;
			}
		default:
			return 0;
	}
	*pp = p + 2;
	return 1;
}

/* A string value's body: between the quotes, which must be its two ends. */
static bool
string_body(const cj_value *s, const char **b, const char **e)
{
	const char *q;

	if (s == NULL || s->p == NULL || s->len < 2 || s->p[0] != '"')
		return false;
	q = skip_string(s->p, s->p + s->len);
	if (q != s->p + s->len)
		return false;
	*b = s->p + 1;
	*e = s->p + s->len - 1;
	return true;
}

/* Does the raw key string decode to exactly key[0..keylen)? */
static bool
key_equals(const cj_value *k, const char *key, size_t keylen)
{
	const char *p,
			   *e;
	size_t		matched = 0;

	if (!string_body(k, &p, &e))
		return false;
	while (p < e)
	{
		unsigned char u[4];
		int			n = decode_step(&p, e, u);

		if (n == 0 || keylen - matched < (size_t) n ||
			memcmp(key + matched, u, (size_t) n) != 0)
			return false;
		matched += (size_t) n;
	}
	return matched == keylen;
}

bool
cj_object_get(const cj_value *obj, const char *key, size_t keylen, cj_value *out)
{
	cj_iter		it;
	cj_value	k,
				v,
				found;
	bool		have = false;
	int			r;

	if (!is_container(obj, '{') || (key == NULL && keylen > 0))
		return false;
	iter_init(&it, obj, true);
	while ((r = iter_next(&it, &k, &v)) == 1)
	{
		if (key_equals(&k, key, keylen))
		{
			found = v;
			have = true;
		}
	}
	/* a malformed member later on could hide a later duplicate */
	if (r < 0 || !have)
		return false;
	if (out != NULL)
		*out = found;
	return true;
}

bool
cj_object_get_many(const cj_value *obj, const char *const *keys, const size_t *keylens, int n,
				   cj_value *out, bool *found)
{
	cj_iter		it;
	cj_value	k,
				v;
	int			r,
				i;

	for (i = 0; i < n; i++)
		found[i] = false;
	if (!is_container(obj, '{'))
		return false;
	iter_init(&it, obj, true);
	while ((r = iter_next(&it, &k, &v)) == 1)
	{
		for (i = 0; i < n; i++)
			if (key_equals(&k, keys[i], keylens[i]))
			{
				out[i] = v;
				found[i] = true;
			}
	}
	if (r < 0)
	{
		/* as cj_object_get: a malformed member could hide a later duplicate */
		for (i = 0; i < n; i++)
			found[i] = false;
		return false;
	}
	return true;
}

size_t
cj_object_count(const cj_value *obj)
{
	cj_iter		it;
	cj_value	k,
				v;
	size_t		n = 0;
	int			r;

	if (!is_container(obj, '{'))
		return 0;
	iter_init(&it, obj, true);
	while ((r = iter_next(&it, &k, &v)) == 1)
		n++;
	return r < 0 ? 0 : n;
}

bool
cj_object_first_key(const cj_value *obj, cj_value *key_out)
{
	cj_iter		it;
	cj_value	k,
				v;

	if (!is_container(obj, '{'))
		return false;
	iter_init(&it, obj, true);
	if (iter_next(&it, &k, &v) != 1)
		return false;
	if (key_out != NULL)
		*key_out = k;
	return true;
}

bool
cj_array_get(const cj_value *arr, size_t idx, cj_value *out)
{
	cj_iter		it;
	cj_value	v;
	size_t		i = 0;

	if (!is_container(arr, '['))
		return false;
	iter_init(&it, arr, false);
	while (iter_next(&it, NULL, &v) == 1)
	{
		if (i++ == idx)
		{
			if (out != NULL)
				*out = v;
			return true;
		}
	}
	return false;
}

size_t
cj_array_length(const cj_value *arr)
{
	cj_iter		it;
	cj_value	v;
	size_t		n = 0;
	int			r;

	if (!is_container(arr, '['))
		return 0;
	iter_init(&it, arr, false);
	while ((r = iter_next(&it, NULL, &v)) == 1)
		n++;
	return r < 0 ? 0 : n;
}

bool
cj_string_decode(const cj_value *s, char *buf, size_t bufsize, size_t *outlen)
{
	const char *p,
			   *e;
	size_t		n = 0;

	if (!string_body(s, &p, &e) || (buf == NULL && bufsize > 0))
		return false;
	while (p < e)
	{
		unsigned char u[4];
		int			k = decode_step(&p, e, u);

		if (k == 0 || bufsize - n < (size_t) k)
			return false;
		memcpy(buf + n, u, (size_t) k);
		n += (size_t) k;
	}
	if (outlen != NULL)
		*outlen = n;
	return true;
}

/*
 * Position of the next \u0000 escape inside a string at or after p, or
 * NULL. Escaped characters are skipped whole, so "\\u0000" (an escaped
 * backslash, then text) does not count.
 */
static const char *
find_nul_escape(const char *p, const char *end, bool *in_string)
{
	while (p < end)
	{
		if (!*in_string)
		{
			if (*p == '"')
				*in_string = true;
			p++;
			continue;
		}
		if (*p == '"')
		{
			*in_string = false;
			p++;
		}
		else if (*p == '\\')
		{
			if (end - p >= 6 && memcmp(p, "\\u0000", 6) == 0)
				return p;
			p += (end - p >= 2) ? 2 : 1;
		}
		else
			p++;
	}
	return NULL;
}

bool
cj_has_nul_escape(const char *doc, size_t len)
{
	bool		in_string = false;

	if (doc == NULL)
		return false;
	return find_nul_escape(doc, doc + len, &in_string) != NULL;
}

static int
hex4_value(const char *p)
{
	int			v = 0,
				i;

	for (i = 0; i < 4; i++)
	{
		char		c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* numeric_in refuses exponents beyond +-1000 and weights or scales past these. */
#define NUMERIC_EXPONENT_LIMIT 1000
#define NUMERIC_INT_DIGITS_LIMIT 131000
#define NUMERIC_FRAC_DIGITS_LIMIT 16000

/* Length of the number starting at p, and whether numeric could hold it. */
static size_t
scan_number(const char *p, const char *end, bool *storable)
{
	const char *q = p;
	long		int_digits = 0,
				frac_digits = 0,
				exponent = 0;
	bool		exp_negative = false;

	if (q < end && *q == '-')
		q++;
	while (q < end && *q >= '0' && *q <= '9')
	{
		q++;
		int_digits++;
	}
	if (q < end && *q == '.')
		for (q++; q < end && *q >= '0' && *q <= '9'; q++)
			frac_digits++;
	if (q < end && (*q == 'e' || *q == 'E'))
	{
		q++;
		if (q < end && (*q == '+' || *q == '-'))
			exp_negative = (*q++ == '-');
		for (; q < end && *q >= '0' && *q <= '9'; q++)
			if (exponent <= NUMERIC_EXPONENT_LIMIT)
				exponent = exponent * 10 + (*q - '0');
	}
	if (exp_negative)
		exponent = -exponent;
	*storable = exponent >= -NUMERIC_EXPONENT_LIMIT && exponent <= NUMERIC_EXPONENT_LIMIT &&
		int_digits + (exponent > 0 ? exponent : 0) <= NUMERIC_INT_DIGITS_LIMIT &&
		frac_digits - (exponent < 0 ? exponent : 0) <= NUMERIC_FRAC_DIGITS_LIMIT;
	return q > p ? (size_t) (q - p) : 1;
}

/*
 * Where an escape cannot be stored: \ufffd when the database holds U+FFFD,
 * else "?". *asked caches the answer for one document.
 */
static size_t
replacement(cj_holds_fn holds, void *arg, int *asked, char *o)
{
	if (*asked == 0)
		*asked = (holds == NULL || holds(0xFFFD, arg)) ? 1 : 2;
	if (*asked == 1)
	{
		memcpy(o, "\\ufffd", 6);
		return 6;
	}
	*o = '?';
	return 1;
}

size_t
cj_make_jsonb_storable(const char *doc, size_t len, char *out, bool *changed)
{
	return cj_make_jsonb_storable_in(doc, len, out, changed, NULL, NULL);
}

size_t
cj_make_jsonb_storable_in(const char *doc, size_t len, char *out, bool *changed,
						  cj_holds_fn holds, void *arg)
{
	const char *p = doc;
	const char *end;
	char	   *o = out;
	bool		in_string = false;
	int			asked = 0;

	*changed = false;
	if (doc == NULL || out == NULL)
		return 0;
	end = doc + len;
	while (p < end)
	{
		if (in_string)
		{
			if (*p == '"')
				in_string = false;
			else if (*p == '\\' && end - p >= 6 && p[1] == 'u' && hex4_value(p + 2) >= 0)
			{
				int			v = hex4_value(p + 2);
				int			lo = (v >= 0xD800 && v <= 0xDBFF && end - p >= 12 &&
								  p[6] == '\\' && p[7] == 'u') ? hex4_value(p + 8) : -1;
				size_t		n = 6;
				unsigned long cp = (unsigned long) v;

				if (lo >= 0xDC00 && lo <= 0xDFFF)
				{
					/* a proper surrogate pair */
					n = 12;
					cp = 0x10000 + (((unsigned long) v - 0xD800) << 10) + ((unsigned long) lo - 0xDC00);
				}
				if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) ||
					(cp > 0x7F && holds != NULL && !holds(cp, arg)))
				{
					o += replacement(holds, arg, &asked, o);
					*changed = true;
				}
				else
				{
					memcpy(o, p, n);
					o += n;
				}
				p += n;
				continue;
			}
			else if (*p == '\\' && end - p >= 2)
			{
				*o++ = *p++;	/* the escaped character is copied below */
			}
			*o++ = *p++;
			continue;
		}
		if (*p == '"')
			in_string = true;
		else if (*p == '-' || (*p >= '0' && *p <= '9'))
		{
			bool		storable;
			size_t		n = scan_number(p, end, &storable);

			if (!storable)
				*o++ = '"';
			memcpy(o, p, n);
			o += n;
			p += n;
			if (!storable)
			{
				*o++ = '"';
				*changed = true;
			}
			continue;
		}
		*o++ = *p++;
	}
	return (size_t) (o - out);
}

size_t
cj_depth(const char *doc, size_t len)
{
	const char *p = doc;
	const char *end;
	size_t		depth = 0,
				deepest = 0;

	if (doc == NULL)
		return 0;
	end = doc + len;
	while (p < end)
	{
		if (*p == '"')
		{
			p = skip_string(p, end);
			if (p == NULL)
				break;
			continue;
		}
		if (*p == '[' || *p == '{')
		{
			if (++depth > deepest)
				deepest = depth;
		}
		else if ((*p == ']' || *p == '}') && depth > 0)
			depth--;
		p++;
	}
	return deepest;
}

/* Count of digits in a number's text. */
static size_t
count_digits(const char *p, size_t n)
{
	size_t		d = 0,
				i;

	for (i = 0; i < n; i++)
		if (p[i] >= '0' && p[i] <= '9')
			d++;
	return d;
}

/*
 * The stack holds one counter per open container: its values (array) or keys
 * (object) times two, plus one for an object. The grammar is checked as far
 * as the counts need (separators, keys), so garbage cannot inflate them.
 */
bool
cj_jsonb_size_estimate(const char *doc, size_t len, size_t *stack, size_t stack_len,
					   cj_jsonb_size *out)
{
	const char *p = doc;
	const char *end;
	size_t		depth = 0;
	bool		expect_key = false, /* an object's key comes next */
				expect_colon = false,	/* a key was read */
				after_value = false,	/* a value ended: ',' or a closer next */
				opened = false; /* a container just opened */

	if (out == NULL)
		return false;
	out->bytes = 4;				/* the root's header (a scalar's array of one) */
	out->max_array = 0;
	out->max_object = 0;
	if (doc == NULL || (stack == NULL && stack_len > 0))
		return false;
	end = doc + len;
	while (p < end)
	{
		const char *q;
		bool		key = expect_key;

		if (is_ws((unsigned char) *p))
		{
			p++;
			continue;
		}
		if (*p == ':')
		{
			if (!expect_colon)
				return false;
			expect_colon = false;
			p++;
			continue;
		}
		if (*p == ',')
		{
			if (!after_value || depth == 0)
				return false;
			after_value = false;
			expect_key = (stack[depth - 1] & 1) != 0;
			p++;
			continue;
		}
		if (*p == ']' || *p == '}')
		{
			size_t		count;

			if (depth == 0 || (stack[depth - 1] & 1) != (*p == '}') || !(after_value || opened))
				return false;
			count = stack[--depth] >> 1;
			if (*p == '}' && count > out->max_object)
				out->max_object = count;
			if (*p == ']' && count > out->max_array)
				out->max_array = count;
			after_value = true;
			opened = expect_key = false;
			p++;
			continue;
		}
		/* a value, or an object's key: counted in its container */
		if (after_value || expect_colon)
			return false;
		if (depth > 0 && ((stack[depth - 1] & 1) == 0 || key))
			stack[depth - 1] += 2;
		opened = expect_key = false;
		switch (*p)
		{
			case '"':
				q = skip_string(p, end);
				if (q == NULL)
					return false;
				/* an entry, and at most the text's bytes (escapes only shrink) */
				out->bytes += 4 + (size_t) (q - p) - 2;
				p = q;
				expect_colon = key;
				after_value = !key;
				break;
			case '[':
			case '{':
				if (key || depth >= stack_len)
					return false;
				/* entry, alignment, header; the root's header is counted */
				if (depth > 0)
					out->bytes += 11;
				stack[depth++] = *p == '{' ? 1 : 0;
				expect_key = *p == '{';
				opened = true;
				p++;
				break;
			default:
				if (key)
					return false;
				q = read_value(p, end, NULL);
				if (q == NULL)
					return false;
				if (*p == '-' || (*p >= '0' && *p <= '9'))
				{
					size_t		n = (size_t) (q - p);
					size_t		digits = count_digits(p, n);

					/*
					 * alignment 3, varlena 4, header 4, 2 per base-10000
					 * digit and one more for the digits' alignment
					 */
					size_t		numeric = 13 + 2 * ((digits + 3) / 4);

					/* a number numeric cannot hold is stored as a string of its text */
					out->bytes += 4 + (numeric > n ? numeric : n);
				}
				else
					out->bytes += 4;
				p = q;
				after_value = true;
				break;
		}
		if (depth == 0 && after_value && skip_ws(p, end) != end)
			return false;		/* a second root value */
	}
	return depth == 0 && after_value;
}
