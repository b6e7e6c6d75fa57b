# cowrie_snapshot: PGXS build. `make && make install`, then CREATE EXTENSION.

EXTENSION   = cowrie_snapshot
EXTVERSION  = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big  = cowrie_snapshot
CORE_OBJS   = $(patsubst %.c,%.o,$(wildcard src/core/*.c))
OBJS        = $(patsubst %.c,%.o,$(wildcard src/*.c)) $(CORE_OBJS)

# Every versioned install and update script, so adding one needs no edit here.
DATA        = $(wildcard sql/$(EXTENSION)--*.sql)

# Regression tests are the files in sql/ that are not extension scripts.
REGRESS     = $(sort $(filter-out $(EXTENSION)--%,$(basename $(notdir $(wildcard sql/*.sql)))))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

PG_CPPFLAGS = -I$(srcdir)/src -I$(srcdir)/src/core
PG_CFLAGS   = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers

PG_CONFIG  ?= pg_config
PGXS       := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

.PHONY: test demo bench unit test-matrix

# The whole suite on the host, then on PostgreSQL 17 and 18 in chroots.
test:
	bash test/run.sh

demo:
	bash tools/demo.sh

bench:
	bash bench/run.sh

unit:
	$(MAKE) -C test/unit check

test-matrix:
	bash test/matrix.sh
