#ifndef COWRIE_ENRICHMENT_FUNCTIONS_H
#define COWRIE_ENRICHMENT_FUNCTIONS_H

#include "postgres.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "cowrie_iptype.h"

/* Shared with the lookup and the trigger, which read inventory documents. */
ArrayType  *cowrie_typeset_to_array(const cowrie_typeset *set);
void		cowrie_jsonb_ip_types(Jsonb *jb, cowrie_typeset *set);

/* The source IP an enrichment document (json or jsonb) gives, canonical, or NULL: cowrie_extract_ip. */
text	   *cowrie_document_ip(Datum doc, bool is_jsonb);

#endif
