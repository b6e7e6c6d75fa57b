-- IP addresses and types: thin SQL declarations of the C core (src/core).

CREATE OR REPLACE FUNCTION @extschema@.cowrie_normalize_ip(ip text) RETURNS text
AS 'MODULE_PATHNAME', 'cowrie_normalize_ip'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cowrie_normalize_ip(text) IS
'Canonical text of an IPv4 or IPv6 address (equal to host(ip::inet)), or NULL when it is not a strictly valid address';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_ip_is_private(ip text) RETURNS boolean
AS 'MODULE_PATHNAME', 'cowrie_ip_is_private_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cowrie_ip_is_private(text) IS
'True for private, loopback, link-local, multicast, reserved or unspecified addresses (Python 3.13 ipaddress rules); NULL when invalid';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_ip_type_priority(ip_type text) RETURNS integer
AS 'MODULE_PATHNAME', 'cowrie_ip_type_priority_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cowrie_ip_type_priority(text) IS
'VPN 1, TOR 2, PROXY 3, DATACENTER 4, RESIDENTIAL 5, MOBILE 6 (upstream''s loader), CLOUD 7 (ADR-009''s classification), anything else 99 (case-insensitive, trimmed)';

CREATE OR REPLACE FUNCTION @extschema@.cowrie_primary_ip_type(ip_types text[]) RETURNS text
AS 'MODULE_PATHNAME', 'cowrie_primary_ip_type'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cowrie_primary_ip_type(text[]) IS
'The highest-priority IP type of an array (ties keep array order; known types in upper case), NULL when none is usable';
