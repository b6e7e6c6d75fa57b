/* A tiny in-house test harness: CHECK counts, reports failures, never aborts. */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>

extern int	unit_passed;
extern int	unit_failed;

#define CHECK(cond, ...) \
	do { \
		if (cond) \
			unit_passed++; \
		else \
		{ \
			unit_failed++; \
			fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
		} \
	} while (0)

void		test_ip(void);
void		test_iptype(void);
void		test_json(void);
void		test_enrichment(void);
void		test_snapshot_rule(void);

#endif
