package sink

import (
	"context"
	"testing"
	"time"
)

// TestARetriedInsertFeedsTheMaterializedViewsItsFirstAttemptDidNot reproduces, without a kill,
// what a replica SIGKILLed mid-insert leaves: a shard's block committed to a replicated table
// (in ZooKeeper too) while the materialized views over that table never received it (18.16
// writes the table first, then each view). The writer then retries the whole batch. 18.16
// skips a block's materialized views when it drops the block as a duplicate of one already
// written, so with insert_deduplicate on, message_state never gets those rows and
// message_facts lacks their messages. The sink turns insert_deduplicate off on a cluster.
//
// The views are detached on every server during the first write, which leaves the tables in
// the state the kill left them.
func TestARetriedInsertFeedsTheMaterializedViewsItsFirstAttemptDidNot(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cluster, one, db, c := migratedCluster(t, ctx)
	set := bothFixtures()
	if err := one.Insert(ctx, set); err != nil {
		t.Fatal(err)
	}

	nodes := make([]*Client, len(cluster.Nodes))
	var views []string
	for i, n := range cluster.Nodes {
		nodes[i] = clusterClient(t, n, db)
		if i == 0 {
			rs, err := nodes[i].conn.Query(ctx, "SELECT name FROM system.tables WHERE database = ? AND engine = 'MaterializedView' ORDER BY name", db)
			if err != nil {
				t.Fatal(err)
			}
			for rs.Next() {
				var name string
				if err := rs.Scan(&name); err != nil {
					t.Fatal(err)
				}
				views = append(views, name)
			}
			if err := rs.Err(); err != nil {
				t.Fatal(err)
			}
			rs.Close()
			if len(views) == 0 {
				t.Fatal("the cluster schema has no materialized views")
			}
		}
	}
	each := func(verb string) {
		t.Helper()
		for i, nc := range nodes {
			for _, v := range views {
				if err := nc.conn.Exec(ctx, verb+" TABLE "+db+"."+v); err != nil {
					t.Fatalf("%s: %s %s: %v", cluster.Nodes[i].Name, verb, v, err)
				}
			}
		}
	}

	each("DETACH")
	insertUntilDone(t, ctx, c, set) // the first attempt: the tables have the rows, the views none
	each("ATTACH")
	insertUntilDone(t, ctx, c, set) // the writer's retry of the same batch

	syncReplicas(t, ctx, cluster, db)
	want := answers(t, ctx, one)
	for _, n := range cluster.Nodes {
		t.Run("through "+n.Name+" every contract view and metric equals one server's", func(t *testing.T) {
			compareAnswers(t, answers(t, ctx, clusterClient(t, n, db)), want)
		})
	}
}
