/* The cowrie_json_ops accessor over jsonb containers, for the shared core rules. */
#ifndef COWRIE_JSONB_ACCESS_H
#define COWRIE_JSONB_ACCESS_H

#include "postgres.h"
#include "utils/jsonb.h"

#include "cowrie_enrichment.h"

extern const cowrie_json_ops cowrie_jsonb_ops;

/* The root node of a jsonb document (a scalar document yields the scalar). */
void		cowrie_jsonb_root(Jsonb *jb, cowrie_jnode *root);

#endif
