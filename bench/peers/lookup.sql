-- lookup.sql: the SQL peer of cowrie_lookup_snapshots($1): the snapshot values
-- ip_inventory gives each IP of the array, with the private/reserved test
-- (Python 3.13 ipaddress, as bench/upstream/backfill_setbased.sql encodes it,
-- IPv4-mapped judged by their IPv4 address) and the IP type priority pick in
-- SQL. The inputs are the inventory's own (canonical) IPs. The type comes
-- from ip_types only: the extension falls back to the SPUR data in the
-- inventory document when ip_types gives none, but after the extension's
-- migration ip_types is exactly what that document gives, so the fallback
-- cannot add a type there (the benchmark checks that both return the same rows).
SELECT i.ip_address::text AS ip_address,
       CASE WHEN NOT p.priv AND i.current_asn > 0 THEN i.current_asn END AS snapshot_asn,
       CASE WHEN NOT p.priv AND i.geo_country ~ '^[A-Z]{2}$' AND i.geo_country <> 'XX'
            THEN i.geo_country END AS snapshot_country,
       CASE WHEN NOT p.priv THEN
           (SELECT CASE WHEN k.pr < 99 THEN upper(btrim(u.t)) ELSE u.t END
            FROM unnest(i.ip_types) WITH ORDINALITY u(t, o)
            CROSS JOIN LATERAL (SELECT CASE upper(btrim(u.t)) WHEN 'VPN' THEN 1 WHEN 'TOR' THEN 2
                                    WHEN 'PROXY' THEN 3 WHEN 'DATACENTER' THEN 4 WHEN 'RESIDENTIAL' THEN 5
                                    WHEN 'MOBILE' THEN 6 ELSE 99 END AS pr) k
            WHERE btrim(u.t) <> ''
            ORDER BY k.pr, u.o
            LIMIT 1) END AS snapshot_ip_type,
       CASE WHEN NOT p.priv THEN i.enrichment_updated_at END AS enrichment_at
FROM ip_inventory i
CROSS JOIN LATERAL (
    SELECT CASE WHEN a << inet '::ffff:0.0.0.0/96' THEN inet '0.0.0.0' + (a - inet '::ffff:0.0.0.0') ELSE a END AS addr
    FROM (SELECT i.ip_address::inet AS a) x) v
CROSS JOIN LATERAL (
    SELECT EXISTS (SELECT FROM unnest('{0.0.0.0/8,10.0.0.0/8,127.0.0.0/8,169.254.0.0/16,172.16.0.0/12,192.0.0.0/24,192.0.0.170/31,192.0.2.0/24,192.168.0.0/16,198.18.0.0/15,198.51.100.0/24,203.0.113.0/24,224.0.0.0/4,240.0.0.0/4,::/128,::1/128,64:ff9b:1::/48,100::/64,2001::/23,2001:db8::/32,2002::/16,3fff::/20,fc00::/7,fe80::/10,ff00::/8,::/8,100::/8,200::/7,400::/6,800::/5,1000::/4,4000::/3,6000::/3,8000::/3,a000::/3,c000::/3,e000::/4,f000::/5,f800::/6,fe00::/9}'::inet[]) n(net)
                   WHERE v.addr <<= n.net)
           AND NOT EXISTS (SELECT FROM unnest('{192.0.0.9/32,192.0.0.10/32,2001:1::1/128,2001:1::2/128,2001:3::/32,2001:4:112::/48,2001:20::/28,2001:30::/28}'::inet[]) n(net)
                           WHERE v.addr <<= n.net) AS priv) p
WHERE i.ip_address = ANY (%(ips)s::varchar[])
