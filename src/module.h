#ifndef COWRIE_MODULE_H
#define COWRIE_MODULE_H

#include "compat.h"

extern PGDLLIMPORT bool cowrie_defer_session_backfill;

#endif
