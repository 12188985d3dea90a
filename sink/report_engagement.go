package sink

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Engagement is the report's block of user, bot, handover and group figures, read with the
// README's metric queries and from group_daily.
type Engagement struct {
	// Day is the last day with a user message, and DAU, WAU, MAU, Stickiness and NewUsers are
	// those of that day. Day is the zero time when no user has sent a message.
	Day           time.Time
	DAU, WAU, MAU uint64
	Stickiness    float64
	NewUsers      uint64
	// BotMessages counts bot messages; BotReplied those with a reply.
	BotMessages, BotReplied uint64
	BotReplyRate            float64
	// BotAnswered counts user messages a bot or agent answered; BotResponseMs is the time to
	// the first answer.
	BotAnswered   uint64
	BotResponseMs Quantiles
	// HumanAnswered counts handovers to an agent answered by an agent or supervisor;
	// FirstHumanResponseMs is the time from the handover to that answer.
	HandoversToAgent, HumanAnswered uint64
	FirstHumanResponseMs            Quantiles
	// HandedOver counts the sessions with a handover to an agent.
	Sessions, HandedOver      uint64
	HandoverRate, Containment float64
	Messages, Reactions       uint64
	ReactionsPerMessage       float64
	// Groups are the five groups with the most members at the end of Day, then the most
	// active members on Day.
	Groups []GroupActivity
}

// GroupActivity is one group at the end of the report's last day.
type GroupActivity struct {
	Source, Tenant, GroupID string
	// Members is members_end_of_day of the group's last row up to Day (membership does not
	// change on days without a row); Active is active_members on Day.
	Members, Active uint64
}

// reportGroupsQuery returns the five groups with the most members at the end of day.
func reportGroupsQuery(db string, day time.Time) string {
	d := "toDate('" + day.Format(time.DateOnly) + "')"
	return `SELECT source, tenant, group_id,
    argMax(members_end_of_day, day) AS g_members,
    sumIf(active_members, day = ` + d + `) AS g_active
FROM ` + db + `.group_daily
WHERE day <= ` + d + `
GROUP BY source, tenant, group_id
ORDER BY g_members DESC, g_active DESC, source, tenant, group_id
LIMIT 5`
}

func (c *Client) metricQuery(name string) string {
	return strings.ReplaceAll(metricQueries[name], "{db}", c.db)
}

// engagement fills the report's engagement block.
func (c *Client) engagement(ctx context.Context) (Engagement, error) {
	var e Engagement
	if err := c.lastActiveDay(ctx, &e); err != nil {
		return Engagement{}, err
	}
	if !e.Day.IsZero() {
		n, err := c.newUsersOn(ctx, e.Day)
		if err != nil {
			return Engagement{}, err
		}
		e.NewUsers = n
	}
	var botP50, botP90, humanP50, humanP90 int64
	for _, q := range []struct {
		name string
		dest []any
	}{
		{"bot_replies", []any{&e.BotMessages, &e.BotReplied, &e.BotReplyRate}},
		{"bot_response", []any{&e.BotAnswered, &botP50, &botP90}},
		{"first_human_response", []any{&e.HandoversToAgent, &e.HumanAnswered, &humanP50, &humanP90}},
		{"containment", []any{&e.Sessions, &e.HandedOver, &e.HandoverRate, &e.Containment}},
		{"reactions_per_message", []any{&e.Messages, &e.Reactions, &e.ReactionsPerMessage}},
	} {
		if err := c.conn.QueryRow(ctx, c.metricQuery(q.name)).Scan(q.dest...); err != nil {
			return Engagement{}, fmt.Errorf("%s: %w", q.name, err)
		}
	}
	e.BotResponseMs = Quantiles{P50: botP50, P90: botP90, Known: e.BotAnswered > 0}
	e.FirstHumanResponseMs = Quantiles{P50: humanP50, P90: humanP90, Known: e.HumanAnswered > 0}
	if e.Day.IsZero() {
		return e, nil
	}
	rs, err := c.conn.Query(ctx, reportGroupsQuery(c.db, e.Day))
	if err != nil {
		return Engagement{}, fmt.Errorf("groups: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var g GroupActivity
		if err := rs.Scan(&g.Source, &g.Tenant, &g.GroupID, &g.Members, &g.Active); err != nil {
			return Engagement{}, fmt.Errorf("groups: %w", err)
		}
		e.Groups = append(e.Groups, g)
	}
	if err := rs.Err(); err != nil {
		return Engagement{}, fmt.Errorf("groups: %w", err)
	}
	return e, nil
}

// lastActiveDay sets Day, DAU, WAU, MAU and Stickiness from the last row of dau_wau_mau.
func (c *Client) lastActiveDay(ctx context.Context, e *Engagement) error {
	rs, err := c.conn.Query(ctx, c.metricQuery("dau_wau_mau"))
	if err != nil {
		return fmt.Errorf("dau_wau_mau: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		if err := rs.Scan(&e.Day, &e.DAU, &e.WAU, &e.MAU, &e.Stickiness); err != nil {
			return fmt.Errorf("dau_wau_mau: %w", err)
		}
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("dau_wau_mau: %w", err)
	}
	return nil
}

// newUsersOn returns the new_users count of day, 0 when the metric has no row for it.
func (c *Client) newUsersOn(ctx context.Context, day time.Time) (uint64, error) {
	rs, err := c.conn.Query(ctx, c.metricQuery("new_users"))
	if err != nil {
		return 0, fmt.Errorf("new_users: %w", err)
	}
	defer rs.Close()
	var n uint64
	for rs.Next() {
		var (
			d     time.Time
			count uint64
		)
		if err := rs.Scan(&d, &count); err != nil {
			return 0, fmt.Errorf("new_users: %w", err)
		}
		if d.Equal(day) {
			n = count
		}
	}
	if err := rs.Err(); err != nil {
		return 0, fmt.Errorf("new_users: %w", err)
	}
	return n, nil
}

// writeEngagement writes the engagement block: figures of the last day, then the groups.
func writeEngagement(w io.Writer, e Engagement) {
	day := "-"
	if !e.Day.IsZero() {
		day = e.Day.Format(time.DateOnly)
	}
	fmt.Fprintf(w, "engagement (last day with user messages: %s)\n", day)
	fmt.Fprintf(w, "  DAU/WAU/MAU\t%d/%d/%d\n", e.DAU, e.WAU, e.MAU)
	fmt.Fprintf(w, "  stickiness (DAU/MAU)\t%s\n", ratioPercent(e.Stickiness))
	fmt.Fprintf(w, "  new users\t%d\n", e.NewUsers)
	fmt.Fprintf(w, "  bot messages replied to\t%s of %d\n", ratioPercent(e.BotReplyRate), e.BotMessages)
	fmt.Fprintf(w, "  bot response p50/p90 ms\t%s (%d user messages answered)\n", e.BotResponseMs, e.BotAnswered)
	fmt.Fprintf(w, "  first human response p50/p90 ms\t%s (%d of %d handovers to an agent answered)\n",
		e.FirstHumanResponseMs, e.HumanAnswered, e.HandoversToAgent)
	fmt.Fprintf(w, "  sessions\t%d\n", e.Sessions)
	fmt.Fprintf(w, "  handover rate / containment\t%s / %s (%d of %d sessions handed to an agent)\n",
		ratioPercent(e.HandoverRate), ratioPercent(e.Containment), e.HandedOver, e.Sessions)
	fmt.Fprintf(w, "  reactions per message\t%s (%d on %d messages)\n",
		strconv.FormatFloat(e.ReactionsPerMessage, 'f', 3, 64), e.Reactions, e.Messages)
	if len(e.Groups) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "group (source/tenant/id)\tmembers at end of %s\tactive on %s\n", day, day)
	for _, g := range e.Groups {
		fmt.Fprintf(w, "%s/%s/%s\t%d\t%d\n", g.Source, g.Tenant, g.GroupID, g.Members, g.Active)
	}
}

func ratioPercent(r float64) string {
	return strconv.FormatFloat(100*r, 'f', 1, 64) + "%"
}
