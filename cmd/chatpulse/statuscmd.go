package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/chatpulse/chatpulse/processor"
)

// cmdStatus prints the consumer group as the brokers see it, for operators without a browser.
func cmdStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || *timeout <= 0 {
		fs.Usage()
		return fmt.Errorf("status: takes no arguments and a positive -timeout")
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	gs, err := processor.DescribeGroup(ctx, cfg.Processor, cfg.state())
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	return writeGroupStatus(stdout, gs, time.Now())
}

// writeGroupStatus writes the group's members, then every partition with its owner and lag,
// then the lag per topic.
func writeGroupStatus(w io.Writer, gs processor.GroupStatus, now time.Time) error {
	fmt.Fprintf(w, "group %s: %s, %d member(s)\n\n", gs.Group, gs.State, len(gs.Members))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tCLIENT\tHOST\tPARTITIONS")
	owned := map[string]int{}
	for _, p := range gs.Partitions {
		owned[p.Member]++
	}
	for _, m := range gs.Members {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", m.MemberID, m.ClientID, m.Host, owned[m.MemberID])
	}
	tw.Flush()

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TOPIC\tPARTITION\tCOMMITTED\tEND\tLAG\t\tOWNER\tWATERMARK (SNAPSHOT)\tTRAILS\t")
	lags := map[string]int64{}
	var topics []string
	for _, p := range gs.Partitions {
		if _, ok := lags[p.Topic]; !ok {
			topics = append(topics, p.Topic)
		}
		lags[p.Topic] += p.Lag
		committed, owner, watermark, trails := "-", "-", "", ""
		if p.Committed >= 0 {
			committed = strconv.FormatInt(p.Committed, 10)
		}
		if p.Member != "" {
			owner = p.Member
		}
		if p.HasSnapshot && p.WatermarkMs > 0 {
			wm := time.UnixMilli(p.WatermarkMs).UTC()
			watermark = wm.Format("2006-01-02 15:04:05") + " (@" + strconv.FormatInt(p.SnapshotOffset, 10) + ")"
			trails = shortDuration(now.Sub(wm))
		} else if p.HasSnapshot {
			watermark = "none yet (@" + strconv.FormatInt(p.SnapshotOffset, 10) + ")"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t\t%s\t%s\t%s\t\n", p.Topic, p.Partition, committed, p.End, p.Lag, owner, watermark, trails)
	}
	tw.Flush()

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TOPIC\tLAG\t")
	for _, t := range topics {
		fmt.Fprintf(tw, "%s\t%d\t\n", t, lags[t])
	}
	return tw.Flush()
}
