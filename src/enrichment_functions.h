#ifndef COWRIE_ENRICHMENT_FUNCTIONS_H
#define COWRIE_ENRICHMENT_FUNCTIONS_H

#include "postgres.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "cowrie_iptype.h"

/* The snapshot rule's glue (snapshot.c) reads types from inventory documents. */
void		cowrie_jsonb_ip_types(Jsonb *jb, cowrie_typeset *set);

/* The source IP an enrichment document (json or jsonb) gives, canonical, or NULL: cowrie_extract_ip. */
text	   *cowrie_document_ip(Datum doc, bool is_jsonb);

/*
 * A session's IP, canonical, or NULL: its source_ip when that is an IP, else
 * its document's (cowrie_session_ip; the backfill and the trigger both ask here).
 */
text	   *cowrie_session_ip(text *source_ip, Datum doc, bool doc_isnull, bool is_jsonb);

#endif
