package sink

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// clusterAlter does on the cluster what a migration's ALTER (an added column) does on one
// server. A database that the cluster form made with the column already needs nothing; an older
// one gets the column in each shard's local table and then a Distributed table that has it.
//
// The local table changes without ON CLUSTER, on one replica of each shard (alterEachShard):
// 18.16's distributed DDL worker runs an ALTER of a replicated table on one replica per shard
// under a lock in ZooKeeper, and a race in that path can stop a replica's worker for good
// (docs/cluster.md, "Found on 18.16").
func (c *Client) clusterAlter(ctx context.Context, stmt string) error {
	a, ok := parseAddColumn(stmt)
	if !ok {
		return fmt.Errorf("cluster schema: no cluster form for %.60q", stmt)
	}
	key, ok := shardKeys[a.table]
	if !ok {
		return fmt.Errorf("cluster schema: altered table %s has no sharding key", a.table)
	}
	local := a.table + "_local"
	if a.key != "" {
		// 18.16 changes no sort key of a replicated table; the cluster form creates the local
		// table with the column and the key (laterColumns).
		has, err := c.hasColumn(ctx, local, a.column)
		if err != nil {
			return err
		}
		if !has {
			return fmt.Errorf("cluster schema: %s.%s lacks %s, which its sort key needs: the database predates the key change; move it to a new database (docs/cluster.md)", c.db, local, a.column)
		}
		return nil
	}
	if err := c.alterEachShard(ctx, "ALTER TABLE "+c.db+"."+local+" ADD COLUMN "+a.column+" "+a.typ); err != nil {
		return err
	}
	has, err := c.hasColumn(ctx, a.table, a.column)
	if err != nil || has {
		return err
	}
	// 18.16 refuses ALTER ON CLUSTER of a table that is not replicated in a replicated shard
	// (code 371), so the Distributed table, which holds no rows once its synchronous inserts
	// have returned, is made again with the new column; an insert in between fails and is
	// retried as any failed insert.
	for _, s := range expand(c.db, []string{
		"DROP TABLE IF EXISTS {db}." + a.table + c.onCluster(),
		distributedTable(a.table, key, c.cluster),
	}) {
		if err := c.conn.Exec(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// clusterDropColumn does on the cluster what a migration's column drop does on one server: it
// drops the column from each shard's local table, one replica of each as clusterAlter adds
// one, and then makes the Distributed table again without it, since an insert through a
// Distributed table that still lists an AggregateFunction column would need a default for it.
func (c *Client) clusterDropColumn(ctx context.Context, table, column string) error {
	key, ok := shardKeys[table]
	if !ok {
		return fmt.Errorf("cluster schema: altered table %s has no sharding key", table)
	}
	if err := c.alterEachShard(ctx, "ALTER TABLE "+c.db+"."+table+"_local DROP COLUMN "+column); err != nil {
		return err
	}
	has, err := c.hasColumn(ctx, table, column)
	if err != nil || !has {
		return err
	}
	for _, s := range expand(c.db, []string{
		"DROP TABLE IF EXISTS {db}." + table + c.onCluster(),
		distributedTable(table, key, c.cluster),
	}) {
		if err := c.conn.Exec(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// alterEachShard runs stmt, an ALTER of a replicated local table, on one replica of each shard,
// trying the shard's replicas in the cluster's order until one takes it. Replication carries it
// to the other replicas, and 18.16 answers once the active ones have applied it. A column that
// exists already, or one to drop that is gone already, is no error (18.16 answers both with
// one code), so running it again changes nothing.
func (c *Client) alterEachShard(ctx context.Context, stmt string) error {
	shards, err := c.shardAddrs(ctx)
	if err != nil {
		return err
	}
	for i, addrs := range shards {
		var errs []error
		for _, addr := range addrs {
			err := c.execOn(ctx, addr, stmt)
			if err == nil || isServerCode(err, duplicateColumnCode) {
				errs = nil
				break
			}
			errs = append(errs, fmt.Errorf("%s: %w", addr, err))
		}
		if len(errs) > 0 {
			return fmt.Errorf("alter shard %d of %s: %w", i+1, c.cluster, errors.Join(errs...))
		}
	}
	return nil
}

// shardAddrs are the native-protocol addresses of the cluster's replicas, by shard, as the
// servers' remote_servers lists them.
func (c *Client) shardAddrs(ctx context.Context) ([][]string, error) {
	rs, err := c.conn.Query(ctx, "SELECT shard_num, host_name, port FROM system.clusters WHERE cluster = ? ORDER BY shard_num, replica_num", c.cluster)
	if err != nil {
		return nil, fmt.Errorf("read cluster %s: %w", c.cluster, err)
	}
	defer rs.Close()
	var out [][]string
	last := uint32(0)
	for rs.Next() {
		var (
			shard uint32
			host  string
			port  uint16
		)
		if err := rs.Scan(&shard, &host, &port); err != nil {
			return nil, fmt.Errorf("read cluster %s: %w", c.cluster, err)
		}
		if shard != last {
			out, last = append(out, nil), shard
		}
		out[len(out)-1] = append(out[len(out)-1], net.JoinHostPort(host, strconv.Itoa(int(port))))
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read cluster %s: %w", c.cluster, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("cluster %s is not in the server's remote_servers", c.cluster)
	}
	return out, nil
}

// execOn runs stmt on the server at addr with the client's credentials and TLS settings.
func (c *Client) execOn(ctx context.Context, addr, stmt string) error {
	opts := c.opts
	opts.Addr = []string{addr}
	conn, err := clickhouse.Open(&opts)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Exec(ctx, stmt)
}
