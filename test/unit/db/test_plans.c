/* SPDX-License-Identifier: MIT */
/*
 * White-box: every statement the library caches is valid SQL for one of the two
 * schemas, and none but the full listings scans a table (the KEY_ID lookup at
 * IKE_AUTH time and every owner-scoped query must search an index).
 */
#include "db_int.h"
#include "tst_db.h"

static const char *const sql_of[DB__S_COUNT] = {
#define SQL_OF(n, s) [DB__S_##n] = s,
    DB_STMTS(SQL_OF)
#undef SQL_OF
};

static const char *const name_of[DB__S_COUNT] = {
#define NAME_OF(n, s) [DB__S_##n] = #n,
    DB_STMTS(NAME_OF)
#undef NAME_OF
};

/* Statements that list a whole table by design. */
static bool may_scan(db__stmt_id id)
{
	return id == DB__S_PEER_LIST_ALL || id == DB__S_CPEER_LIST;
}

/* Checks the plan of id against c; returns false if the SQL does not fit this schema. */
static bool check_plan(sqlite3 *c, db__stmt_id id, char *plan, size_t plan_len)
{
	char sql[1024];
	sqlite3_stmt *st = NULL;
	size_t used = 0;

	snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", sql_of[id]);
	if (sqlite3_prepare_v2(c, sql, -1, &st, NULL) != SQLITE_OK)
		return false;
	plan[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(st, 3);

		used += (size_t)snprintf(plan + used, used < plan_len ? plan_len - used : 0, "%s; ", detail);
		if (!may_scan(id))
			cr_assert(strncmp(detail, "SCAN", 4) != 0, "%s scans: %s", name_of[id], detail);
	}
	sqlite3_finalize(st);
	return true;
}

/* Which schema a statement belongs to, from its name: CPEER_ and MS_ are the
 * client's, SETTING_ both, the rest the server's. */
static bool for_server(db__stmt_id id)
{
	return strncmp(name_of[id], "CPEER_", 6) != 0 && strncmp(name_of[id], "MS_", 3) != 0;
}

static bool for_client(db__stmt_id id)
{
	return !for_server(id) || strncmp(name_of[id], "SETTING_", 8) == 0;
}

DB_TEST(db_plans, every_statement_prepares_and_searches_an_index)
{
	db *s = tst_open_server(), *k = tst_open_client();
	sqlite3 *srv, *cli;
	char plan[1024];

	db_close(s);
	db_close(k);
	srv = tst_raw("medsrv.db");
	cli = tst_raw("medcli.db");
	for (int i = 0; i < DB__S_COUNT; i++) {
		db__stmt_id id = (db__stmt_id)i;

		if (for_server(id))
			cr_assert(check_plan(srv, id, plan, sizeof plan), "%s: %s", name_of[id],
			          sqlite3_errmsg(srv));
		if (for_client(id))
			cr_assert(check_plan(cli, id, plan, sizeof plan), "%s: %s", name_of[id],
			          sqlite3_errmsg(cli));
	}
	/* The authentication-time lookup uses both unique KEY_ID indexes. */
	cr_assert(check_plan(srv, DB__S_PEER_FIND_KEYID, plan, sizeof plan));
	cr_assert(strstr(plan, "peers_keyid ") != NULL && strstr(plan, "peers_keyid_spki") != NULL, "%s",
	          plan);
	sqlite3_close(srv);
	sqlite3_close(cli);
}
