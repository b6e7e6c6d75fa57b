/* Runs every suite; the last line is what make check and CI look for. */
#include "unit.h"

int			unit_passed = 0;
int			unit_failed = 0;

int
main(void)
{
	test_ip();
	test_iptype();
	test_json();
	test_enrichment();
	test_snapshot_rule();
	printf("unit: %d passed, %d failed\n", unit_passed, unit_failed);
	return unit_failed == 0 ? 0 : 1;
}
