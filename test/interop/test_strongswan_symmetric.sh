#!/bin/bash
# SPDX-License-Identifier: MIT
# strongSwan mediation with both NATs symmetric (masquerade fully-random): no tunnel
# within a bounded time, no ESP, strongSwan reports nothing. See test_strongswan_baseline.sh.
exec "$(dirname "$0")/test_strongswan_baseline.sh" symmetric
