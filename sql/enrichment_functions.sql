-- Reading session enrichment documents, json and jsonb alike.
SET client_min_messages = warning;

CREATE TEMP TABLE docs (name text, doc text);
INSERT INTO docs VALUES
 ('flat', '{"dshield": {"ip": {"number": "47.242.217.70", "ascountry": "CN"}}, "spur": ["Alibaba", [], "", "", "", "", "", [], "", ["SERVER"], "DATACENTER", "Hong Kong", "HK", "", "Alibaba Cloud", [], ["SSH"], []]}'),
 ('metadata first', '{"session_metadata": {"source_ip": "2001:DB8::7"}, "dshield": {"ip": {"number": "1.2.3.4"}}}'),
 ('metadata invalid', '{"session_metadata": {"source_ip": 42}, "dshield": {"ip": {"number": "1.2.3.4"}}}'),
 ('nested one key', '{"session": {"::FFFF:47.242.0.1": {"dshield": {}, "spur": {"client": {"types": "VPN"}}}}, "virustotal": {}}'),
 ('nested two keys', '{"session": {"9.9.9.9": {}, "8.8.8.8": {}}}'),
 ('sentinel', '{"dshield": {"ip": {"asname": "", "ascountry": ""}}}'),
 ('timeout', '{"dshield": {"ip": {"asname": "TIMEOUT", "ascountry": "TIMEOUT"}}}'),
 ('malformed ip', '{"dshield": {"ip": {"number": "010.1.1.1"}}}'),
 ('zone id', '{"dshield": {"ip": {"number": "fe80::1%eth0"}}}'),
 ('number as ip', '{"dshield": {"ip": {"number": 16909060}}}'),
 ('array root', '[1, 2, 3]'),
 ('scalar root', '"1.2.3.4"'),
 ('empty', '{}'),
 ('spur object list', '{"spur": {"client": {"types": ["RESIDENTIAL", "vpn", "PROXY"]}, "tunnels": [{"type": "TOR"}]}}'),
 ('spur_data wrapper', '{"spur": {"spur_data": ["Org", ["x"], "", "", "", "", "", [], "", ["MOBILE"], "RESIDENTIAL", "", "", "", "", [], [], []]}}'),
 ('spur legacy list', '{"spur": ["15169", "Google", "Google", "DATACENTER", "", "", "[''VPN'', ''PROXY'']", "", "", "", "", "", "", "", "", "", "", "TOR"]}'),
 ('cymru asn', '{"cymru": {"asn": 15169}, "maxmind": {"asn": 1}}'),
 ('cymru asn text', '{"cymru": {"asn": "AS4134"}, "maxmind": {"asn": 4134}}'),
 ('asn too big', '{"cymru": {"asn": 4294967295}}'),
 ('asn negative', '{"maxmind": {"asn": -5}}');

SELECT name,
       cowrie_extract_ip(doc::json) AS ip_json,
       cowrie_extract_ip(doc::jsonb) AS ip_jsonb,
       cowrie_ip_types(doc::json) AS types_json,
       cowrie_ip_types(doc::jsonb) AS types_jsonb
FROM docs ORDER BY name;

SELECT name, (f).ip, (f).ip_invalid, (f).asn, (f).asn_invalid
FROM (SELECT name, cowrie_enrichment_facts(doc::jsonb) AS f FROM docs) t ORDER BY name;

-- json and jsonb readers agree on every document jsonb can hold.
SELECT count(*) AS documents,
       count(*) FILTER (WHERE cowrie_enrichment_facts(doc::json) IS DISTINCT FROM cowrie_enrichment_facts(doc::jsonb)
                          AND name <> 'nested two keys') AS disagreements
FROM docs;

-- A \u0000 escape elsewhere in a json document: -> raises 22P05, we do not.
SELECT cowrie_extract_ip('{"note": "a\u0000b", "dshield": {"ip": {"number": "5.6.7.8"}}}'::json) AS ip,
       (cowrie_enrichment_facts('{"note": "a\u0000b"}'::json)).nul_escape AS nul_escape,
       cowrie_jsonb_safe('{"note": "a\u0000b", "n": "\\u0000"}'::json) AS sanitised;

-- Raw cowrie events.
SELECT cowrie_event_ip('{"eventid": "cowrie.session.connect", "src_ip": "2001:DB8::1"}'::json) AS src,
       cowrie_event_ip('{"src_ip": "", "peer_ip": "1.2.3.4"}'::jsonb) AS peer,
       cowrie_event_ip('{"src_ip": "bogus"}'::jsonb) AS bogus;

-- Deep nesting and large documents never fail.
SELECT cowrie_extract_ip((repeat('[', 5000) || repeat(']', 5000))::json) AS deep_json,
       cowrie_extract_ip(('{"pad": "' || repeat('x', 5000000) || '", "dshield": {"ip": {"number": "1.1.1.1"}}}')::json) AS large_json,
       cowrie_extract_ip(('{"pad": "' || repeat('x', 5000000) || '", "dshield": {"ip": {"number": "1.1.1.1"}}}')::jsonb) AS large_jsonb;
