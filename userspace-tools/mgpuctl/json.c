// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpuctl: a small JSON writer for list --json and stats --json — indented output,
 * escaped strings, numbers as numbers, null for what could not be read.
 */
#include <string.h>

#include "mgpuctl.h"

/**
 * mc_json_init - start a JSON document
 * @j: the writer
 * @f: where it writes
 */
void mc_json_init(struct mc_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

static void put_string(FILE *f, const char *s)
{
	unsigned char c;

	fputc('"', f);
	for (; (c = *s); s++) {
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Separates this member from the previous one and writes its key. */
static void member(struct mc_json *j, const char *key)
{
	if (j->depth > 0) {
		fputs(j->count[j->depth - 1]++ ? ",\n" : "\n", j->f);
		fprintf(j->f, "%*s", 2 * j->depth, "");
	}
	if (key) {
		put_string(j->f, key);
		fputs(": ", j->f);
	}
}

/**
 * mc_json_open - open an object or array
 * @j: the writer
 * @key: its key in the enclosing object; NULL in an array or at the top
 * @bracket: '{' or '['
 */
void mc_json_open(struct mc_json *j, const char *key, char bracket)
{
	member(j, key);
	fputc(bracket, j->f);
	if (j->depth < MC_JSON_DEPTH - 1)
		j->count[j->depth++] = 0;
}

/**
 * mc_json_close - close the innermost object or array
 * @j: the writer
 * @bracket: '}' or ']'
 */
void mc_json_close(struct mc_json *j, char bracket)
{
	if (j->depth > 0)
		j->depth--;
	if (j->count[j->depth])
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	fputc(bracket, j->f);
}

/**
 * mc_json_str - a string member
 * @j: the writer
 * @key: its key, NULL in an array
 * @val: its value; NULL writes null
 */
void mc_json_str(struct mc_json *j, const char *key, const char *val)
{
	member(j, key);
	if (val)
		put_string(j->f, val);
	else
		fputs("null", j->f);
}

/**
 * mc_json_u64 - an unsigned number member
 * @j: the writer
 * @key: its key, NULL in an array
 * @val: its value
 */
void mc_json_u64(struct mc_json *j, const char *key, unsigned long long val)
{
	member(j, key);
	fprintf(j->f, "%llu", val);
}

/**
 * mc_json_i64 - a number member, null when negative (unknown)
 * @j: the writer
 * @key: its key, NULL in an array
 * @val: its value
 */
void mc_json_i64(struct mc_json *j, const char *key, long long val)
{
	member(j, key);
	if (val < 0)
		fputs("null", j->f);
	else
		fprintf(j->f, "%lld", val);
}

/**
 * mc_json_bool - a boolean member
 * @j: the writer
 * @key: its key, NULL in an array
 * @val: its value
 */
void mc_json_bool(struct mc_json *j, const char *key, bool val)
{
	member(j, key);
	fputs(val ? "true" : "false", j->f);
}

/**
 * mc_json_null - a null member
 * @j: the writer
 * @key: its key, NULL in an array
 */
void mc_json_null(struct mc_json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}

/**
 * mc_json_val - an attribute as a member: its number or text, null when unreadable
 * @j: the writer
 * @key: its key
 * @v: the attribute
 * @is_str: write it as a string
 */
void mc_json_val(struct mc_json *j, const char *key, const struct mc_val *v, bool is_str)
{
	if (!v->ok)
		mc_json_null(j, key);
	else if (is_str)
		mc_json_str(j, key, v->str);
	else
		mc_json_u64(j, key, v->num);
}

/**
 * mc_json_hist - a histogram as [{"le_us": 64, "count": 10}, ..., {"le_us": null, ...}]
 * @j: the writer
 * @key: its key
 * @h: the histogram; null when it could not be read
 */
void mc_json_hist(struct mc_json *j, const char *key, const struct mc_hist *h)
{
	int i;

	if (!h->ok) {
		mc_json_null(j, key);
		return;
	}
	mc_json_open(j, key, '[');
	for (i = 0; i < h->n; i++) {
		mc_json_open(j, NULL, '{');
		if (h->le[i] == MC_HIST_INF)
			mc_json_null(j, "le_us");
		else
			mc_json_u64(j, "le_us", h->le[i]);
		mc_json_u64(j, "count", h->count[i]);
		mc_json_close(j, '}');
	}
	mc_json_close(j, ']');
}

/**
 * mc_json_end - finish the document
 * @j: the writer
 */
void mc_json_end(struct mc_json *j)
{
	fputc('\n', j->f);
}
