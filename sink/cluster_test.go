package sink

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/rows"
	"github.com/chatpulse/chatpulse/testenv"
)

// contractViews are every view of the analyst contract.
var contractViews = append([]string{"message_receipts", "message_facts"}, engagementViews...)

// bothFixtures is fixtureSet and engagementSet in one set, with the rows of every 48th order
// of conflicting copies, whose ids under 15 tenants fill message_conflicts on both shards, and
// receipts of ids with and without conflicting copies.
func bothFixtures() *rows.Set {
	a, b := fixtureSet(), engagementSet()
	set := &rows.Set{
		Messages: append(a.Messages, b.Messages...), Receipts: append(a.Receipts, b.Receipts...),
		Replies: append(a.Replies, b.Replies...), Reactions: append(a.Reactions, b.Reactions...),
		Sessions: append(a.Sessions, b.Sessions...), Memberships: append(a.Memberships, b.Memberships...),
		Handovers: append(a.Handovers, b.Handovers...),
	}
	_, steps, _ := conflictRows(48)
	for i := range steps {
		set.Append(&steps[i])
	}
	set.Append(userConflicts())
	set.Append(receiptConflicts())
	return set
}

// parts splits set into n sets of consecutive rows of every table.
func parts(set *rows.Set, n int) []*rows.Set {
	out := make([]*rows.Set, n)
	for i := range out {
		out[i] = &rows.Set{
			Messages: slice(set.Messages, i, n), Receipts: slice(set.Receipts, i, n),
			Replies: slice(set.Replies, i, n), Reactions: slice(set.Reactions, i, n),
			Sessions: slice(set.Sessions, i, n), Memberships: slice(set.Memberships, i, n),
			Handovers: slice(set.Handovers, i, n),
		}
	}
	return out
}

func slice[R any](s []R, i, n int) []R { return s[i*len(s)/n : (i+1)*len(s)/n] }

// clusterClient opens a migrated client of database db on cluster through node.
func clusterClient(t *testing.T, node *testenv.ClusterNode, db string) *Client {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Addr, cfg.Database, cfg.Cluster = node.Addr(), db, testenv.ClusterName
	return openClient(t, cfg)
}

// migratedCluster starts a 2x2 cluster and returns it with a migrated one-server client, a
// database name and a client of that database on the cluster through its first node. Clients
// of the first and last node migrate the database at the same time, as workers starting
// together do.
func migratedCluster(t *testing.T, ctx context.Context) (*testenv.ClickHouseCluster, *Client, string, *Client) {
	t.Helper()
	cluster := testenv.ClickHouseClusterForTest(t, 2, 2)
	one := migratedClient(t)
	db := testDatabase(t)
	c := clusterClient(t, cluster.Node(1, 1), db)
	other := clusterClient(t, cluster.Node(2, 2), db)
	// A beat every 200 ms against 5 s of patience: the waiter gives up unless the holder's
	// beats reach its server through replication.
	for _, cl := range []*Client{c, other} {
		cl.lockBeat, cl.lockPatience = 200*time.Millisecond, 5*time.Second
	}
	errs := make(chan error, 1)
	go func() { errs <- other.Migrate(ctx) }()
	err := c.Migrate(ctx)
	if oerr := <-errs; oerr != nil {
		t.Fatalf("through %s: %v", cluster.Node(2, 2).Name, oerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SyncReplicas(ctx); err != nil {
		t.Fatal(err)
	}
	appliedOnceWithoutLock(t, c)
	return cluster, one, db, c
}

// answers is every contract view's snapshot, every metric's result and what each panel over
// the tables filed by day shows over every day of the fixtures, by name.
func answers(t *testing.T, ctx context.Context, c *Client) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	panels, r := dashboardPanelSQL(t), panelRanges[len(panelRanges)-1]
	for name := range viewPanels {
		lines, err := c.queryLines(ctx, expandPanel(t, panels[name], c.db, r[0], r[1]))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		slices.Sort(lines)
		out["panel "+name] = lines
	}
	// The active-user panels merge the day sets of every shard for ranges under 14 days.
	for _, r := range [][2]time.Time{userPanelRanges[1], userPanelRanges[3]} {
		for name := range userDaysPanels {
			lines, err := c.queryLines(ctx, expandPanel(t, dashboardPanelSQL(t)[name], c.db, r[0], r[1]))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out["panel "+name+" from "+r[0].Format(time.DateOnly)] = lines
		}
	}
	for _, view := range contractViews {
		lines, err := c.Snapshot(ctx, view)
		if err != nil {
			t.Fatal(err)
		}
		out[view] = lines
	}
	for _, name := range MetricNames() {
		lines, err := c.Metric(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		out["metric "+name] = lines
	}
	return out
}

func compareAnswers(t *testing.T, got, want map[string][]string) {
	t.Helper()
	for name, w := range want {
		if len(w) == 0 {
			t.Errorf("%s is empty on one server: the fixture does not cover it", name)
		}
		if !slices.Equal(got[name], w) {
			t.Errorf("%s on the cluster:\n%s\none server:\n%s", name, strings.Join(got[name], "\n"), strings.Join(w, "\n"))
		}
	}
}

// insertUntilDone retries an insert the cluster refuses while it recovers; rows are idempotent,
// so a retry after a partial write changes no answer.
func insertUntilDone(t *testing.T, ctx context.Context, c *Client, set *rows.Set) {
	t.Helper()
	for {
		err := c.Insert(ctx, set)
		if err == nil {
			return
		}
		if !Retryable(err) {
			t.Fatalf("the writer would not retry: %v", err)
		}
		t.Logf("insert refused, retrying: %v", err)
		select {
		case <-ctx.Done():
			t.Fatalf("insert never succeeded: %v", err)
		case <-time.After(time.Second):
		}
	}
}

// syncReplicas waits until every replica has fetched what its shard's log lists.
func syncReplicas(t *testing.T, ctx context.Context, cluster *testenv.ClickHouseCluster, db string) {
	t.Helper()
	for _, n := range cluster.Nodes {
		if err := clusterClient(t, n, db).SyncReplicas(ctx); err != nil {
			t.Fatalf("%s: %v", n.Name, err)
		}
	}
}

func TestAClusterAnswersAsOneServerThroughLostReplicasAndZooKeeper(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cluster, one, db, c := migratedCluster(t, ctx)

	t.Run("a column that a later migration adds reaches both replicas of each shard and the Distributed table", func(t *testing.T) {
		// A database made before a migration gets its columns this way (clusterAlter); a new
		// one is created with them. The cluster is calm, as for `chatpulse migrate` before
		// workers start: after a ZooKeeper restart an 18.16 replica can fail to apply it
		// (docs/cluster.md).
		const stmt = "ALTER TABLE {db}.handover_events ADD COLUMN upgrade_probe UInt8"
		for range 2 { // the second time finds the column everywhere and changes nothing
			if err := c.alter(ctx, []string{stmt}); err != nil {
				t.Fatal(err)
			}
		}
		for _, n := range cluster.Nodes {
			nc := clusterClient(t, n, db)
			for _, table := range []string{"handover_events_local", "handover_events"} {
				has, err := nc.hasColumn(ctx, table, "upgrade_probe")
				if err != nil {
					t.Fatal(err)
				}
				if !has {
					t.Errorf("%s: %s lacks the added column", n.Name, table)
				}
			}
		}
	})

	t.Run("one insert makes one part in each shard, however many blocks it sends", func(t *testing.T) {
		// insert_distributed_sync sends each shard its rows as one INSERT, whose blocks the
		// shard squashes, so parts stay as large as on one server.
		pdb := testDatabase(t)
		pc := clusterClient(t, cluster.Node(1, 1), pdb)
		if err := pc.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		big := &rows.Set{}
		for i := range 3*blockRows + 1 {
			big.Messages = append(big.Messages, rows.Message{Source: "s", Tenant: "t", MsgID: fmt.Sprint("m", i), SentAtMs: 1_700_000_000_000 + int64(i)})
		}
		if err := pc.Insert(ctx, big); err != nil {
			t.Fatal(err)
		}
		syncReplicas(t, ctx, cluster, pdb)
		total := uint64(0)
		for _, n := range cluster.Nodes {
			q := "SELECT count(), sum(rows), max(level) FROM system.parts WHERE database = '" + pdb + "' AND table = 'messages_local' AND active"
			lines, err := clusterClient(t, n, pdb).queryLines(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var parts, rowCount, level uint64
			if _, err := fmt.Sscanf(lines[0], "%d\t%d\t%d", &parts, &rowCount, &level); err != nil {
				t.Fatalf("%s: %q: %v", n.Name, lines[0], err)
			}
			if parts != 1 || level != 0 {
				t.Errorf("%s: %d parts of level up to %d from one insert, want one unmerged part", n.Name, parts, level)
			}
			total += rowCount
		}
		if want := uint64(2 * len(big.Messages)); total != want {
			t.Errorf("the replicas hold %d rows, want %d (each row on both replicas of its shard)", total, want)
		}
	})

	set := bothFixtures()
	for _, s := range append(parts(set, 4), set) {
		if err := one.Insert(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	ps := parts(set, 4)
	insertUntilDone(t, ctx, c, ps[0])

	// One replica of each shard dies: shard 1's rows go to the node the client talks to, shard
	// 2's to its other replica.
	lost := []*testenv.ClusterNode{cluster.Node(1, 2), cluster.Node(2, 1)}
	for _, n := range lost {
		if err := n.Kill(); err != nil {
			t.Fatal(err)
		}
	}
	insertUntilDone(t, ctx, c, ps[1])
	for _, n := range lost {
		if err := n.RestartRestoringParts(ctx); err != nil {
			t.Fatal(err)
		}
	}

	// Without ZooKeeper the replicated tables are read-only: inserts fail until it is back.
	if err := cluster.KillZooKeeper(); err != nil {
		t.Fatal(err)
	}
	if err := c.Insert(ctx, ps[2]); err == nil {
		t.Log("an insert succeeded without ZooKeeper")
	}
	if err := cluster.RestartZooKeeper(ctx); err != nil {
		t.Fatal(err)
	}
	insertUntilDone(t, ctx, c, ps[2])
	insertUntilDone(t, ctx, c, ps[3])
	// The whole set again, as a replay after a crash would write it.
	insertUntilDone(t, ctx, c, set)

	// Reads pick any replica of a shard; each first catches up with its shard's log.
	syncReplicas(t, ctx, cluster, db)
	want := answers(t, ctx, one)
	for _, n := range cluster.Nodes {
		t.Run("through "+n.Name+" every contract view and metric equals one server's", func(t *testing.T) {
			compareAnswers(t, answers(t, ctx, clusterClient(t, n, db)), want)
		})
	}

	t.Run("both replicas of each shard hold the same distinct rows", func(t *testing.T) {
		// message_state's AggregateFunction columns are compared through message_facts_local,
		// user_day_states' through the users of each set, user_first_days' through each
		// user's first day; receipt_firsts through its rows with FINAL, as a merge keeps only
		// a receipt's earliest row and one replica may have run it and the other not yet.
		merged := map[string]string{
			"user_day_states_local": "SELECT day, source, tenant, uniqExactMerge(users) FROM " + db +
				".user_day_states_local GROUP BY day, source, tenant ORDER BY day, source, tenant",
			"user_first_days_local": "SELECT source, tenant, user_id, minMerge(first_day) FROM " + db +
				".user_first_days_local GROUP BY source, tenant, user_id ORDER BY source, tenant, user_id",
			"receipt_firsts_local": "SELECT " + receiptFirstsColumns + " FROM " + db +
				".receipt_firsts_local FINAL ORDER BY " + receiptFirstsColumns,
		}
		objects := append(slices.DeleteFunc(replicatedTables(), func(s string) bool {
			return s == "message_state_local" || merged[s] != ""
		}), "message_facts_local")
		for shard := 1; shard <= 2; shard++ {
			var first map[string][]string
			for replica := 1; replica <= 2; replica++ {
				rc := clusterClient(t, cluster.Node(shard, replica), db)
				got := map[string][]string{}
				for _, object := range objects {
					lines, err := rc.Snapshot(ctx, object)
					if err != nil {
						t.Fatal(err)
					}
					if len(lines) == 0 && object != "schema_migrations" {
						t.Errorf("shard %d replica %d: %s is empty", shard, replica, object)
					}
					// A merge collapses exact replays; one replica may have run it and the other not yet.
					got[object] = slices.Compact(lines)
				}
				for table, query := range merged {
					lines, err := rc.queryLines(ctx, query)
					if err != nil {
						t.Fatal(err)
					}
					if len(lines) == 0 {
						t.Errorf("shard %d replica %d: %s is empty", shard, replica, table)
					}
					got[table] = lines
				}
				if first == nil {
					first = got
					continue
				}
				for _, table := range append(objects, slices.Sorted(maps.Keys(merged))...) {
					if !slices.Equal(got[table], first[table]) {
						t.Errorf("shard %d: %s differs between replicas:\n%s\n---\n%s", shard, table,
							strings.Join(first[table], "\n"), strings.Join(got[table], "\n"))
					}
				}
			}
		}
	})

	t.Run("an insert is not acknowledged while a shard has no live replica", func(t *testing.T) {
		// Without insert_distributed_sync the server would queue shard 2's rows and answer OK,
		// and offsets would be committed ahead of the rows.
		for replica := 1; replica <= 2; replica++ {
			if err := cluster.Node(2, replica).Kill(); err != nil {
				t.Fatal(err)
			}
		}
		err := c.Insert(ctx, set)
		if err == nil {
			t.Fatal("an insert was acknowledged while shard 2 was down")
		}
		if !Retryable(err) {
			t.Errorf("the writer would not retry: %v", err)
		}
		for replica := 1; replica <= 2; replica++ {
			if err := cluster.Node(2, replica).RestartRestoringParts(ctx); err != nil {
				t.Fatal(err)
			}
		}
	})
}
