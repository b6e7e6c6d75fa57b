"""The client-loop peer: a replica of upstream's backfill algorithm
(cowrieprocessor scripts/migrations/backfill_session_snapshots.py) in Python
with psycopg over the unix socket.

Per batch: SELECT up to 1000 eligible sessions (LIMIT without ORDER BY, as
upstream), one inventory lookup for the batch's distinct IPs, then one UPDATE
per session, and COMMIT. Upstream selects `source_ip IS NOT NULL AND
snapshot_country IS NULL` and never handles a NULL source_ip; the replica is
given the extension's eligible set instead (snapshot_country IS NULL, the IP
from source_ip, else the document through cowrie_extract_ip, else the
earliest raw event) and decides each IP with cowrie_session_snapshot in the
lookup, so that it reaches the same final rows. Unlike upstream (plain
overwrite) it keeps non-NULL values, as the extension does; from the
deferred-mode state, where they are all NULL, that changes no row.

    python3 bench/peers/client_loop.py DBNAME      (libpq environment for the rest)
"""
import sys

import psycopg

SELECT_BATCH = """
SELECT s.session_id, COALESCE(cowrie_normalize_ip(s.source_ip), cowrie_extract_ip(s.enrichment))
FROM session_summaries s
WHERE s.snapshot_country IS NULL
LIMIT %s"""

RAW_EVENTS = """
SELECT DISTINCT ON (e.session_id) e.session_id, cowrie_event_ip(e.payload)
FROM raw_events e
WHERE e.session_id = ANY (%s) AND cowrie_event_ip(e.payload) IS NOT NULL
ORDER BY e.session_id, e.event_timestamp NULLS LAST, e.source, e.source_offset, e.id"""

LOOKUP = """
SELECT d.ip, i.ip_address IS NOT NULL, snap.snapshot_asn, snap.snapshot_country,
       snap.snapshot_ip_type, snap.enrichment_at
FROM unnest(%s::text[]) d(ip)
LEFT JOIN ip_inventory i ON i.ip_address = d.ip
CROSS JOIN LATERAL cowrie_session_snapshot(d.ip, i.ip_address IS NOT NULL, i.current_asn, i.geo_country,
    i.ip_types, i.enrichment, i.enrichment_updated_at) snap"""

UPDATE = """
UPDATE session_summaries SET
    source_ip = COALESCE(source_ip, %s),
    snapshot_asn = COALESCE(snapshot_asn, %s),
    snapshot_country = %s,
    snapshot_ip_type = COALESCE(snapshot_ip_type, %s),
    enrichment_at = COALESCE(enrichment_at, %s)
WHERE session_id = %s"""

# What cowrie_session_snapshot gives a session without an IP.
NO_IP = (False, None, 'XX', None, None)


def backfill(conn, batch_size=1000):
    """Runs the loop on an open connection (not autocommit); returns sessions processed."""
    done = 0
    while True:
        with conn.cursor() as cur:
            cur.execute(SELECT_BATCH, (batch_size,))
            batch = cur.fetchall()
            if not batch:
                conn.commit()
                return done
            ips = {sid: ip for sid, ip in batch}
            missing = [sid for sid, ip in batch if ip is None]
            if missing:
                cur.execute(RAW_EVENTS, (missing,))
                for sid, ip in cur.fetchall():
                    ips[sid] = ip
            distinct = sorted({ip for ip in ips.values() if ip is not None})
            snaps = {}
            if distinct:
                cur.execute(LOOKUP, (distinct,))
                for ip, found, asn, country, ip_type, at in cur.fetchall():
                    snaps[ip] = (found, asn, country, ip_type, at)
            for sid, _ in batch:
                ip = ips[sid]
                found, asn, country, ip_type, at = snaps[ip] if ip is not None else NO_IP
                cur.execute(UPDATE, (ip if found else None, asn, country, ip_type, at, sid))
            conn.commit()
            done += len(batch)


if __name__ == '__main__':
    with psycopg.connect(dbname=sys.argv[1]) as c:
        print(backfill(c))
