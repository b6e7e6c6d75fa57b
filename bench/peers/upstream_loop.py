"""The upstream-loop peer: upstream's backfill client as it runs
(cowrieprocessor scripts/migrations/backfill_session_snapshots.py), through
SQLAlchemy's ORM Session with the psycopg2 driver.

client_loop.py is the same loop stripped to the wire (psycopg 3, one
server-side prepared UPDATE). This one keeps what upstream pays per batch and
per session: the batch query fetches each session's enrichment document (the
driver parses it into a dict), and every session gets its own ORM-enabled
update(SessionSummary) statement, built, compiled from the cache, executed
through the Session, and parsed and planned by the server. Per batch: SELECT
up to 1000 eligible sessions (LIMIT, no ORDER BY), one lookup of the batch's
IPs (= ANY), one UPDATE per session, COMMIT.

To end with the extension's rows (the benchmark compares them) it takes the
extension's eligible set and IP, as client_loop.py does, and decides each IP
with cowrie_session_snapshot in the lookup. From the deferred-mode state,
where every snapshot column is NULL, upstream's plain overwrite writes the
same values.

    python3 bench/peers/upstream_loop.py DBNAME      (libpq environment for the rest)
"""
import sys

from sqlalchemy import MetaData, Table, create_engine, text, update
from sqlalchemy.orm import Session, registry

from client_loop import LOOKUP, NO_IP, RAW_EVENTS

SELECT_BATCH = """
SELECT s.session_id, COALESCE(cowrie_normalize_ip(s.source_ip), cowrie_extract_ip(s.enrichment)) AS ip,
       s.enrichment
FROM session_summaries s
WHERE s.snapshot_country IS NULL
LIMIT :n"""


class SessionSummary:
    """Mapped onto the reflected session_summaries table."""


def engine_for(dbname):
    # libpq reads PGHOST/PGPORT/PGUSER itself; an empty netloc leaves them to it.
    return create_engine(f'postgresql+psycopg2:///{dbname}', future=True)


def backfill(engine, batch_size=1000):
    """Runs the loop; returns sessions processed."""
    if not hasattr(SessionSummary, '__mapper__'):
        registry().map_imperatively(SessionSummary, Table('session_summaries', MetaData(), autoload_with=engine))
    done = 0
    with Session(engine) as session:
        while True:
            batch = session.execute(text(SELECT_BATCH), {'n': batch_size}).all()
            if not batch:
                session.commit()
                return done
            ips = {row.session_id: row.ip for row in batch}
            missing = [sid for sid, ip in ips.items() if ip is None]
            if missing:
                for sid, ip in session.execute(text(RAW_EVENTS.replace('%s', ':ids')), {'ids': missing}):
                    ips[sid] = ip
            distinct = sorted({ip for ip in ips.values() if ip is not None})
            snaps = {}
            if distinct:
                for ip, found, asn, country, ip_type, at in session.execute(
                        text(LOOKUP.replace('%s::text[]', 'CAST(:ips AS text[])')), {'ips': distinct}):
                    snaps[ip] = (found, asn, country, ip_type, at)
            for row in batch:
                ip = ips[row.session_id]
                found, asn, country, ip_type, at = snaps[ip] if ip is not None else NO_IP
                session.execute(
                    update(SessionSummary)
                    .where(SessionSummary.session_id == row.session_id)
                    .values(source_ip=ip if found else None, snapshot_asn=asn, snapshot_country=country,
                            snapshot_ip_type=ip_type, enrichment_at=at))
            session.commit()
            done += len(batch)


if __name__ == '__main__':
    print(backfill(engine_for(sys.argv[1])))
