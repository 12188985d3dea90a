package sink

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// migration is one versioned step of the schema. Its statements must be idempotent: a client
// killed in the middle of one leaves it to be applied again by the next.
type migration struct {
	Version uint32
	Name    string
	// Alters add columns and run first; a column that already exists is no error.
	Alters     []string
	Statements []string
	// DropColumns each drop one column and run after the statements, which must first drop
	// every view that feeds it; a column that is gone already is no error.
	DropColumns []string
}

// bootstrap creates what recording migrations needs; it runs before every Migrate.
var bootstrap = []string{createDatabase, createSchemaMigrations}

// migrations are applied in order; a released migration never changes, a change is a new one.
var migrations = []migration{
	{Version: 1, Name: "message tables and contract views", Statements: []string{
		createMessages, createReceipts, createReplies, createReactions,
		createMessageReceipts, createMessageFacts,
	}},
	{Version: 2, Name: "sessions, membership, handovers and engagement views", Statements: []string{
		createSessions, createMembershipEvents, createHandoverEvents,
		createUserSessions, createGroupMembers, createGroupDaily, createHandovers, createEngagementDaily,
	}},
	{Version: 3, Name: "per-message state and sessions by day",
		Alters: []string{addReceiptsMsgSentAt, addRepliesMsgSentAt, addReactionsMsgSentAt},
		Statements: []string{
			createMessageState,
			createMessageStateFromMessages, createMessageStateFromReceipts,
			createMessageStateFromReplies, createMessageStateFromReactions,
			backfillMessages, backfillReceipts, backfillReplies, backfillReactions,
			dropMessageFacts, createMessageFactsFromState,
			createSessionDays, createSessionDaysFromSessions, backfillSessionDays,
		}},
	{Version: 4, Name: "conflicting copies of a message",
		Alters: append(append([]string{addMessagesContentHash}, addRankedAttributes()...),
			addStateDeliveredAt, addStateReadAt, addStateFirstReplyAt),
		Statements: []string{
			dropMessageFacts, dropMessageReceipts,
			dropStateFromMessages, dropStateFromReceipts, dropStateFromReplies, dropStateFromReactions,
			stateView("message_state_messages", stateFromMessages, "messages"),
			stateView("message_state_receipts", stateFromReceipts, "receipts"),
			stateView("message_state_replies", stateFromReplies, "replies"),
			stateView("message_state_reactions", stateFromReactions, "reactions"),
			stateBackfill(stateFromMessages, "messages", ""),
			stateBackfill(stateFromReceipts, "receipts", hasMessageTime),
			stateBackfill(stateFromReplies, "replies", hasMessageTime),
			stateBackfill(stateFromReactions, "reactions", hasMessageTime),
			createMessageFactsRanked, createMessageReceiptsRanked,
		}},
	{Version: 5, Name: "active users by day",
		Alters: []string{addMessagesSupersedes},
		Statements: []string{
			createUserDays, createUserDaysFromMessages,
			createMessageConflicts, createMessageConflictsFromMessages,
			backfillUserDays, backfillMessageConflicts,
		}},
	{Version: 6, Name: "receipts, membership and group messages by day",
		Statements: []string{
			createReceiptDays, createReceiptDaysFromReceipts,
			createMembershipDays, createMembershipDaysFromEvents,
			createGroupMessageDays, createGroupMessageDaysFromMessages,
			backfillReceiptDays, backfillMembershipDays, backfillGroupMessageDays,
		}},
	{Version: 7, Name: "active user sets by day",
		Statements: []string{
			createUserDayStates, createUserDayStatesFromMessages,
			createUserMessageDays, createUserMessageDaysFromMessages,
			backfillUserDayStates, backfillUserMessageDays,
		}},
	{Version: 8, Name: "messages by conversation and day",
		Statements: []string{
			createConversationDays, createConversationDaysFromMessages, backfillConversationDays,
		}},
	{Version: 9, Name: "first receipts with their message's send time",
		Statements: []string{
			createReceiptFirsts, createReceiptFirstsFromReceipts, backfillReceiptFirsts,
		}},
	{Version: 10, Name: "each user's first day",
		Statements: []string{
			createUserFirstDays, createUserFirstDaysFromMessages, backfillUserFirstDays,
		}},
	{Version: 11, Name: "message_state without the states nothing reads",
		Statements: []string{
			dropStateFromMessages, dropStateFromReceipts, dropStateFromReplies, dropStateFromReactions,
		},
		DropColumns: dropUnreadStates()},
	{Version: 12, Name: "message_state views of the states read",
		Statements: []string{
			stateView("message_state_messages", leanStateFromMessages, "messages"),
			stateView("message_state_receipts", leanStateFromReceipts, "receipts"),
			stateView("message_state_replies", leanStateFromReplies, "replies"),
			stateView("message_state_reactions", leanStateFromReactions, "reactions"),
			leanStateBackfill(leanStateFromMessages, "messages", ""),
			leanStateBackfill(leanStateFromReceipts, "receipts", hasMessageTime),
			leanStateBackfill(leanStateFromReplies, "replies", hasMessageTime),
			leanStateBackfill(leanStateFromReactions, "reactions", hasMessageTime),
		}},
}

// Statements returns every DDL statement Migrate may run against database db, in order. db must
// be a plain identifier (Config.Validate checks it).
func Statements(db string) []string {
	out := expand(db, bootstrap)
	for _, m := range migrations {
		out = append(out, expand(db, m.Alters)...)
		out = append(out, expand(db, m.Statements)...)
		out = append(out, expand(db, m.DropColumns)...)
	}
	return out
}

func expand(db string, stmts []string) []string {
	out := make([]string, len(stmts))
	for i, s := range stmts {
		out[i] = strings.ReplaceAll(s, "{db}", db)
	}
	return out
}

// Migrate brings the database to the newest schema version, applying missing migrations in
// order and recording each in schema_migrations. Running it again, or from several clients at
// once, is safe: one client migrates while the others wait for its lock (lockMigrations).
func (c *Client) Migrate(ctx context.Context) error {
	return c.migrateTo(ctx, migrations[len(migrations)-1].Version)
}

// pending says whether a migration up to version is not in applied.
func pending(applied map[uint32]bool, version uint32) bool {
	for _, m := range migrations {
		if m.Version <= version && !applied[m.Version] {
			return true
		}
	}
	return false
}

// migrateTo applies the migrations up to and including version.
func (c *Client) migrateTo(ctx context.Context, version uint32) error {
	// The lock's holder name is the client's, so two calls of one client would both pass it.
	c.migrating.Lock()
	defer c.migrating.Unlock()
	boot, err := c.forms(bootstrap)
	if err != nil {
		return fmt.Errorf("migrate bootstrap: %w", err)
	}
	for _, stmt := range boot {
		if err := c.conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("migrate bootstrap: %w", err)
		}
	}
	applied, err := c.appliedVersions(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if !pending(applied, version) {
		return nil
	}
	lock, err := c.lockMigrations(ctx, version)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if lock == nil {
		return nil
	}
	defer lock.release(ctx)
	// Another client may have applied some while this one waited for the lock; on a cluster
	// its records reach this server's replica of schema_migrations asynchronously.
	if c.cluster != "" {
		if err := c.syncReplica(ctx, "schema_migrations"); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	if applied, err = c.appliedVersions(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range migrations {
		if applied[m.Version] || m.Version > version {
			continue
		}
		stmts, err := c.forms(m.Statements)
		if err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
		}
		if err := c.alter(ctx, m.Alters); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
		}
		for _, stmt := range stmts {
			if err := c.conn.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
			}
		}
		if err := c.dropColumns(ctx, m.DropColumns); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
		}
		if err := c.recordMigration(ctx, m); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
		}
		c.log.Info("schema migration applied", "database", c.db, "version", m.Version, "name", m.Name)
	}
	return nil
}

// alter runs a migration's ALTERs, each of which adds a column; one that exists already is no
// error.
func (c *Client) alter(ctx context.Context, alters []string) error {
	for _, stmt := range alters {
		if c.cluster != "" {
			if err := c.clusterAlter(ctx, stmt); err != nil {
				return err
			}
			continue
		}
		if err := c.conn.Exec(ctx, strings.ReplaceAll(stmt, "{db}", c.db)); err != nil && !isServerCode(err, duplicateColumnCode) {
			return err
		}
	}
	return nil
}

var dropColumnStmt = regexp.MustCompile(`^ALTER TABLE \{db\}\.(\w+) DROP COLUMN (\w+)$`)

// dropColumns runs a migration's column drops. A worker of a release before the migration
// lock may have dropped a column between the check and the drop, so a failed drop of a column
// that is gone is no error.
func (c *Client) dropColumns(ctx context.Context, drops []string) error {
	for _, stmt := range drops {
		m := dropColumnStmt.FindStringSubmatch(stmt)
		if m == nil {
			return fmt.Errorf("not a column drop: %.60q", stmt)
		}
		if c.cluster != "" {
			if err := c.clusterDropColumn(ctx, m[1], m[2]); err != nil {
				return err
			}
			continue
		}
		if err := c.dropColumnWith(ctx, m[1], m[2], func(s string) error { return c.conn.Exec(ctx, s) }); err != nil {
			return err
		}
	}
	return nil
}

// dropColumnWith drops column of table (in the client's database) with exec, unless it is gone.
// 18.16 answers a drop of a missing column with the code of a duplicate added one.
func (c *Client) dropColumnWith(ctx context.Context, table, column string, exec func(string) error) error {
	has, err := c.hasColumn(ctx, table, column)
	if err != nil || !has {
		return err
	}
	if err := exec("ALTER TABLE " + c.db + "." + table + " DROP COLUMN " + column); err != nil {
		if has, herr := c.hasColumn(ctx, table, column); isServerCode(err, duplicateColumnCode) || (herr == nil && !has) {
			return nil
		}
		return fmt.Errorf("drop column %s.%s: %w", table, column, err)
	}
	return nil
}

// forms returns stmts for the client's database, in their cluster form when it has a cluster.
func (c *Client) forms(stmts []string) ([]string, error) {
	if c.cluster == "" {
		return expand(c.db, stmts), nil
	}
	out, err := clusterForms(stmts, c.cluster)
	if err != nil {
		return nil, err
	}
	return expand(c.db, out), nil
}

func (c *Client) appliedVersions(ctx context.Context) (map[uint32]bool, error) {
	rs, err := c.conn.Query(ctx, "SELECT DISTINCT version FROM "+c.db+".schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read applied versions: %w", err)
	}
	defer rs.Close()
	applied := make(map[uint32]bool)
	for rs.Next() {
		var v uint32
		if err := rs.Scan(&v); err != nil {
			return nil, fmt.Errorf("read applied versions: %w", err)
		}
		applied[v] = true
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read applied versions: %w", err)
	}
	return applied, nil
}

// recordMigration inserts the version row. Databases migrated before the migration lock may
// hold a version twice; readers use DISTINCT.
func (c *Client) recordMigration(ctx context.Context, m migration) error {
	b, err := c.conn.PrepareBatch(c.insertContext(ctx), "INSERT INTO "+c.db+".schema_migrations (version, name, applied_at)")
	if err != nil {
		return fmt.Errorf("record version: %w", err)
	}
	if err := b.Append(m.Version, m.Name, time.Now().UTC()); err != nil {
		_ = b.Abort()
		return fmt.Errorf("record version: %w", err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("record version: %w", err)
	}
	return nil
}
