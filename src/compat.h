/* PostgreSQL version differences, in one place (the ip4r habit). */
#ifndef COWRIE_COMPAT_H
#define COWRIE_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 150000
#error "cowrie_snapshot needs PostgreSQL 15 or later"
#endif

#include "funcapi.h"

/* InitMaterializedSRF exists from PostgreSQL 15 on. */
#define cowrie_init_materialized_srf(fcinfo) InitMaterializedSRF((fcinfo), 0)

#if PG_VERSION_NUM >= 160000
#include "commands/extension.h"
#define cowrie_get_extension_schema(ext_oid) get_extension_schema(ext_oid)
#else
Oid			cowrie_get_extension_schema(Oid ext_oid);
#endif

#endif
