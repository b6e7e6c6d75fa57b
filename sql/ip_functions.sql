-- IP canonical form, private/reserved classification, type priority.
SET client_min_messages = warning;

-- Canonical form: trimmed, lower case, RFC 5952, equal to host(inet).
SELECT ip, cowrie_normalize_ip(ip) AS canonical
FROM unnest(ARRAY[
    '1.2.3.4', ' 1.2.3.4 ', E'\t8.8.8.8\n', '010.1.1.1', '1.2.3', '1.2.3.4.5', '256.1.1.1',
    '1.2.3.4/32', '2001:DB8:0:0:0:0:0:1', '2001:db8::1', '::', '::1', '::ffff:1.2.3.4',
    '::FFFF:0102:0304', '0:0:0:0:0:ffff:10.0.0.1', '1:0:0:1:0:0:0:1', '1::', 'fe80::1%eth0',
    '[::1]', '2001:db8::/32', '', ' ', 'not-an-ip', '1:2:3:4:5:6:7:8:9',
    'abcd:ef01:2345:6789:abcd:ef01:2345:6789', '0000:0000:0000:0000:0000:ffff:255.255.255.255'
]) AS ip;

-- Parity with PostgreSQL's inet output over generated addresses.
SELECT count(*) AS compared,
       count(*) FILTER (WHERE cowrie_normalize_ip(ip) IS DISTINCT FROM host(ip::inet)) AS mismatches
FROM (
    SELECT format('%s.%s.%s.%s', (g * 7919) % 256, (g * 104729) % 256, (g * 1299709) % 256, g % 256) AS ip
    FROM generate_series(1::bigint, 40000) g
    UNION ALL
    SELECT format('%s:%s:%s:%s:%s:%s:%s:%s',
                  to_hex(CASE WHEN g % 3 = 0 THEN 0 ELSE (g * 7919) % 65536 END),
                  to_hex(CASE WHEN g % 5 = 0 THEN 0 ELSE (g * 31) % 65536 END),
                  to_hex(CASE WHEN g % 2 = 0 THEN 0 ELSE (g * 131) % 65536 END),
                  to_hex(CASE WHEN g % 7 < 3 THEN 0 ELSE (g * 17) % 65536 END),
                  to_hex(CASE WHEN g % 4 = 0 THEN 0 ELSE g % 65536 END),
                  to_hex(CASE WHEN g % 6 < 4 THEN 0 ELSE (g * 3) % 65536 END),
                  to_hex(CASE WHEN g % 9 = 0 THEN 0 ELSE (g * 101) % 65536 END),
                  to_hex((g * 65521) % 65536))
    FROM generate_series(1::bigint, 40000) g
    UNION ALL
    SELECT format('::ffff:%s.%s.%s.%s', g % 256, (g * 3) % 256, (g * 7) % 256, (g * 11) % 256)
    FROM generate_series(1::bigint, 10000) g
    UNION ALL
    SELECT format('::%s.%s.%s.%s', g % 256, (g * 3) % 256, (g * 7) % 256, (g * 11) % 256)
    FROM generate_series(1::bigint, 10000) g
    UNION ALL
    SELECT upper(format('%s::%s', to_hex(g), to_hex(g * 13 % 65536))) FROM generate_series(1::bigint, 10000) g
) t;

-- Python 3.13 is_private/is_reserved/...: boundaries and the exceptions.
SELECT ip, cowrie_ip_is_private(ip) AS private
FROM unnest(ARRAY[
    '0.0.0.0', '9.255.255.255', '10.0.0.0', '10.255.255.255', '11.0.0.0',
    '100.63.255.255', '100.64.0.0', '100.127.255.255', '127.0.0.1', '169.254.1.1',
    '172.15.255.255', '172.16.0.0', '172.31.255.255', '172.32.0.0',
    '192.0.0.8', '192.0.0.9', '192.0.0.10', '192.0.0.11', '192.0.2.1', '192.88.99.1',
    '192.168.1.1', '198.18.0.1', '198.51.100.1', '203.0.113.1', '224.0.0.1', '239.255.255.255',
    '240.0.0.1', '255.255.255.255', '8.8.8.8', '47.242.217.70',
    '::', '::1', '::ffff:10.0.0.1', '::ffff:8.8.8.8', '64:ff9b::1', '64:ff9b:1::1', '100::1',
    '2001::1', '2001:1::1', '2001:1::2', '2001:1::3', '2001:3::1', '2001:4:112::1', '2001:20::1',
    '2001:30::1', '2001:db8::1', '2002::1', '2606:4700::1111', '3fff::1', 'fc00::1', 'fe80::1',
    'fec0::1', 'ff02::1', 'not-an-ip'
]) AS ip;

-- Priority: case-insensitive and trimmed; unknown values score 99.
SELECT t, cowrie_ip_type_priority(t) AS priority
FROM unnest(ARRAY['VPN', 'vpn', ' Tor ', 'PROXY', 'DATACENTER', 'RESIDENTIAL', 'MOBILE', 'SERVER', '']) AS t;

SELECT a, cowrie_primary_ip_type(a) AS primary_type
FROM (VALUES (ARRAY['RESIDENTIAL', 'VPN', 'PROXY']), (ARRAY['server', 'desktop']),
             (ARRAY[NULL, '', 'mobile', 'residential']), (ARRAY[]::text[]), (ARRAY[NULL]::text[]),
             (ARRAY['proxy', 'PROXY', 'tor'])) v(a);
