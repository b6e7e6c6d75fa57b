/*
 * A small lazy JSON reader over text, for the json (not jsonb) variants: it
 * finds the few values a caller needs without building the document and
 * without failing on escapes elsewhere (upstream's 22P05 on \u0000).
 * PostgreSQL-free. Every function is total on arbitrary bytes.
 */
#ifndef COWRIE_JSON_H
#define COWRIE_JSON_H

#include <stdbool.h>
#include <stddef.h>

typedef enum cj_type
{
	CJ_INVALID = 0,
	CJ_OBJECT,
	CJ_ARRAY,
	CJ_STRING,
	CJ_NUMBER,
	CJ_TRUE,
	CJ_FALSE,
	CJ_NULL
} cj_type;

typedef struct cj_value
{
	cj_type		type;
	const char *p;				/* first byte of the value ('{', '"', ...) */
	size_t		len;			/* bytes of the value, quotes included */
} cj_value;

/* The root value of a document (surrounding whitespace skipped). */
bool		cj_root(const char *doc, size_t len, cj_value *out);

/*
 * As cj_root, for text the json type has already validated: a container root
 * is taken from its first to its last byte without reading it through (its
 * members are read on demand), which halves the work of reading a few keys.
 * On text that is not valid JSON the readers fail cleanly later instead.
 */
bool		cj_root_of_json(const char *doc, size_t len, cj_value *out);

/* Member of an object by key (compared after de-escaping); last one wins, as jsonb. */
bool		cj_object_get(const cj_value *obj, const char *key, size_t keylen, cj_value *out);

/*
 * Several members in one scan: found[i] and out[i] for keys[i] (last one
 * wins). False, with nothing found, when the object is malformed.
 */
bool		cj_object_get_many(const cj_value *obj, const char *const *keys, const size_t *keylens,
							   int n, cj_value *out, bool *found);

/* Number of members of an object, and the first member's raw key string. */
size_t		cj_object_count(const cj_value *obj);
bool		cj_object_first_key(const cj_value *obj, cj_value *key_out);

/* Array element by index, and the number of elements. */
bool		cj_array_get(const cj_value *arr, size_t idx, cj_value *out);
size_t		cj_array_length(const cj_value *arr);

/*
 * Decode a string value into buf (bufsize bytes, UTF-8, not NUL-terminated).
 * Returns false when it is not a string, does not fit, or decodes to a NUL
 * or an invalid surrogate.
 */
bool		cj_string_decode(const cj_value *s, char *buf, size_t bufsize, size_t *outlen);

/*
 * Does the text contain a \u0000 escape inside a string (the one escape
 * jsonb cannot store)? Reported as a data-quality flag.
 */
bool		cj_has_nul_escape(const char *doc, size_t len);

/* Output capacity cj_make_jsonb_storable needs for len input bytes. */
#define CJ_STORABLE_CAPACITY(len) (2 * (len) + 2)

/*
 * Copy doc into out (CJ_STORABLE_CAPACITY(len) bytes), rewriting what the json
 * type accepts but jsonb cannot store: \u0000 and unpaired UTF-16 surrogate
 * escapes become \ufffd, and numbers outside numeric's range (an exponent
 * beyond +-1000, or more digits than numeric holds) become strings of their
 * own text. Returns the length written; *changed says whether anything was
 * rewritten. Total on arbitrary bytes.
 */
size_t		cj_make_jsonb_storable(const char *doc, size_t len, char *out, bool *changed);

/*
 * As cj_make_jsonb_storable, for a database whose encoding is not UTF-8:
 * a \u escape of a code point above U+007F that holds() refuses (jsonb_in
 * would fail on it) is rewritten as well, to \ufffd when holds(0xFFFD), else
 * to "?". holds is asked only about code points above U+007F; NULL holds
 * every code point (UTF-8).
 */
typedef bool (*cj_holds_fn) (unsigned long cp, void *arg);
size_t		cj_make_jsonb_storable_in(const char *doc, size_t len, char *out, bool *changed,
									  cj_holds_fn holds, void *arg);

/*
 * What converting a document to jsonb would need, for refusing one that jsonb
 * cannot hold before PostgreSQL fails on it: an upper bound of the bytes of
 * jsonb's root container (entries, padding, numerics of at most 2 bytes per 4
 * digits plus headers, strings as long as their text), and the most elements
 * of one array and members of one object (duplicate keys included, as
 * jsonb_in collects them before removing duplicates).
 */
typedef struct cj_jsonb_size
{
	size_t		bytes;
	size_t		max_array;
	size_t		max_object;
} cj_jsonb_size;

/* bytes never exceeds this for len bytes of text (at most 19 per value of 2 bytes). */
#define CJ_JSONB_BYTES_BOUND(len) (10 * (size_t) (len) + 16)

/* Deepest nesting of containers (strings skipped); the stack estimate needs. */
size_t		cj_depth(const char *doc, size_t len);

/*
 * Fills *out for a document; stack holds stack_len counters (at least
 * cj_depth). False when the text is not a JSON document or is nested
 * deeper than stack_len.
 */
bool		cj_jsonb_size_estimate(const char *doc, size_t len, size_t *stack, size_t stack_len,
								   cj_jsonb_size *out);

#endif
