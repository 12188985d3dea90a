package main

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/chatpulse/chatpulse/sink"
)

// writeReport writes the demo's engagement report for a person to read at a glance: latencies
// as 850ms, 5m07s or 3h12m, and n/a for a rate that a source cannot have, such as delivery for
// a source that carries no receipts.
func writeReport(w io.Writer, r sink.Report) error {
	// Numbers align right; names align left, padded to the longest.
	sw, pw := len("source"), len("platform")
	for _, g := range r.Groups {
		sw, pw = max(sw, len(g.Source)), max(pw, len(g.Platform))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	line := func(source, platform string, row sink.ReportRow) {
		writeReportLine(tw, fmt.Sprintf("%-*s", sw, source), fmt.Sprintf("%-*s", pw, platform), row)
	}
	fmt.Fprintf(tw, "%-*s\t%-*s\tmessages\tdelivered\tread\tdelivery p50 / p90\tread p50 / p90\treplied\treactions\t\n", sw, "source", pw, "platform")
	for _, g := range r.Groups {
		line(g.Source, g.Platform, g)
	}
	line("TOTAL", "", r.Total)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	e := r.Engagement
	day := "none"
	if !e.Day.IsZero() {
		day = e.Day.Format(time.DateOnly)
	}
	fmt.Fprintf(w, "Engagement on the last day with user messages (%s)\n", day)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  DAU / WAU / MAU\t%d / %d / %d\n", e.DAU, e.WAU, e.MAU)
	fmt.Fprintf(tw, "  stickiness (DAU/MAU)\t%s\n", pct(e.Stickiness))
	fmt.Fprintf(tw, "  new users\t%d\n", e.NewUsers)
	fmt.Fprintln(tw, "Over all days")
	fmt.Fprintf(tw, "  bot messages replied to\t%s of %d\n", pct(e.BotReplyRate), e.BotMessages)
	fmt.Fprintf(tw, "  bot response p50 / p90\t%s (%d user messages answered)\n", latencies(e.BotResponseMs), e.BotAnswered)
	fmt.Fprintf(tw, "  first human response p50 / p90\t%s (%d of %d handovers to an agent answered)\n",
		latencies(e.FirstHumanResponseMs), e.HumanAnswered, e.HandoversToAgent)
	fmt.Fprintf(tw, "  sessions\t%d\n", e.Sessions)
	fmt.Fprintf(tw, "  handover rate / containment\t%s / %s (%d sessions handed to an agent)\n",
		pct(e.HandoverRate), pct(e.Containment), e.HandedOver)
	fmt.Fprintf(tw, "  reactions per message\t%s (%d on %d messages)\n",
		strconv.FormatFloat(e.ReactionsPerMessage, 'f', 3, 64), e.Reactions, e.Messages)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(e.Groups) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Largest groups at the end of %s (source / tenant / group)\tmembers\tactive that day\n", day)
	for _, g := range e.Groups {
		name := g.Source + " / " + g.GroupID
		if g.Tenant != "" {
			name = g.Source + " / " + g.Tenant + " / " + g.GroupID
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\n", name, g.Members, g.Active)
	}
	return tw.Flush()
}

// writeReportLine writes one source and platform. A source whose messages carry no receipt at
// all shows n/a rather than 0% delivered.
func writeReportLine(w io.Writer, source, platform string, row sink.ReportRow) {
	delivered, read := "n/a", "n/a"
	if row.Delivered > 0 || row.Read > 0 {
		delivered, read = share(row.Delivered, row.Messages), share(row.Read, row.Messages)
	}
	fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%d\t%d\t\n", source, platform, row.Messages,
		delivered, read, latencies(row.DeliveryMs), latencies(row.ReadMs), row.Replied, row.Reactions)
}

// latencies writes p50 / p90 in short durations, or n/a when no message has the latency.
func latencies(q sink.Quantiles) string {
	if !q.Known {
		return "n/a"
	}
	return shortDuration(time.Duration(q.P50)*time.Millisecond) + " / " + shortDuration(time.Duration(q.P90)*time.Millisecond)
}

func share(n, of uint64) string {
	if of == 0 {
		return "n/a"
	}
	return pct(float64(n) / float64(of))
}

func pct(r float64) string { return strconv.FormatFloat(100*r, 'f', 1, 64) + "%" }
