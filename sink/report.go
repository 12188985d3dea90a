package sink

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
)

// Report is the engagement summary of the demo, read only from the contract views.
type Report struct {
	// Groups has one row per (source, platform), sorted by source then platform.
	Groups []ReportRow
	// Total covers every message; its Source and Platform are empty.
	Total ReportRow
	// Engagement covers users, bots, handovers, sessions and groups.
	Engagement Engagement
}

// ReportRow sums the messages of one source and platform.
type ReportRow struct {
	Source   string
	Platform string
	Messages uint64
	// Delivered and Read count messages with at least one delivered-or-read (read) receipt.
	Delivered uint64
	Read      uint64
	// DeliveryMs and ReadMs are the exact quantiles of the first delivery and read latencies.
	DeliveryMs Quantiles
	ReadMs     Quantiles
	// Replied counts messages with at least one reply; Reactions sums the current reactions.
	Replied   uint64
	Reactions uint64
}

// Quantiles are the median and 90th percentile of a latency in ms; Known is false when no
// message has the latency.
type Quantiles struct {
	P50, P90 int64
	Known    bool
}

// reportAggregates summarise message_facts rows; quantiles of Nullable columns skip NULLs and
// are NULL when every value is.
const reportAggregates = `count(),
    countIf(delivered_latency_ms IS NOT NULL),
    countIf(read_latency_ms IS NOT NULL),
    quantileExact(0.5)(delivered_latency_ms),
    quantileExact(0.9)(delivered_latency_ms),
    quantileExact(0.5)(read_latency_ms),
    quantileExact(0.9)(read_latency_ms),
    countIf(replies > 0),
    sum(reactions)`

// reportQueries returns the per-group query and the totals query.
func reportQueries(db string) (groups, total string) {
	from := "\nFROM " + db + ".message_facts"
	groups = "SELECT source, platform,\n    " + reportAggregates + from + "\nGROUP BY source, platform ORDER BY source, platform"
	total = "SELECT " + reportAggregates + from
	return groups, total
}

// Report computes the engagement summary per source and platform, in total, and the
// engagement block.
func (c *Client) Report(ctx context.Context) (Report, error) {
	groupsQuery, totalQuery := reportQueries(c.db)
	var r Report
	rs, err := c.conn.Query(ctx, groupsQuery)
	if err != nil {
		return Report{}, fmt.Errorf("report: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var row ReportRow
		if err := scanReportRow(rs.Scan, &row, &row.Source, &row.Platform); err != nil {
			return Report{}, fmt.Errorf("report: %w", err)
		}
		r.Groups = append(r.Groups, row)
	}
	if err := rs.Err(); err != nil {
		return Report{}, fmt.Errorf("report: %w", err)
	}
	if err := scanReportRow(c.conn.QueryRow(ctx, totalQuery).Scan, &r.Total); err != nil {
		return Report{}, fmt.Errorf("report totals: %w", err)
	}
	if r.Engagement, err = c.engagement(ctx); err != nil {
		return Report{}, fmt.Errorf("report engagement: %w", err)
	}
	return r, nil
}

func scanReportRow(scan func(...any) error, row *ReportRow, keys ...any) error {
	var dp50, dp90, rp50, rp90 *int64
	dest := append(keys, &row.Messages, &row.Delivered, &row.Read, &dp50, &dp90, &rp50, &rp90,
		&row.Replied, &row.Reactions)
	if err := scan(dest...); err != nil {
		return err
	}
	row.DeliveryMs = quantiles(dp50, dp90)
	row.ReadMs = quantiles(rp50, rp90)
	return nil
}

func quantiles(p50, p90 *int64) Quantiles {
	if p50 == nil || p90 == nil {
		return Quantiles{}
	}
	return Quantiles{P50: *p50, P90: *p90, Known: true}
}

// WriteTo writes the report as an aligned text table with a TOTAL line, then the engagement
// block.
func (r Report) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	tw := tabwriter.NewWriter(cw, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "source\tplatform\tmessages\tdelivered\tread\tdelivery p50/p90 ms\tread p50/p90 ms\treplied\treactions")
	for _, g := range r.Groups {
		writeReportRow(tw, g.Source, g.Platform, g)
	}
	writeReportRow(tw, "TOTAL", "", r.Total)
	fmt.Fprintln(tw)
	writeEngagement(tw, r.Engagement)
	err := tw.Flush()
	return cw.n, err
}

func writeReportRow(w io.Writer, source, platform string, row ReportRow) {
	fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%d\t%d\n", source, platform, row.Messages,
		percent(row.Delivered, row.Messages), percent(row.Read, row.Messages),
		row.DeliveryMs, row.ReadMs, row.Replied, row.Reactions)
}

func percent(n, of uint64) string {
	if of == 0 {
		return "-"
	}
	return strconv.FormatFloat(100*float64(n)/float64(of), 'f', 1, 64) + "%"
}

// String is "p50/p90", or "-" when unknown.
func (q Quantiles) String() string {
	if !q.Known {
		return "-"
	}
	return strconv.FormatInt(q.P50, 10) + "/" + strconv.FormatInt(q.P90, 10)
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
