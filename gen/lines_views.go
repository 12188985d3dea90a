package gen

import (
	"sort"
	"strconv"
	"time"
)

// Renderers of the view and metric rows in the same TabSeparated form as the message rows:
// Date as 2006-01-02, Float64 as strconv.FormatFloat(v, 'g', -1, 64) (compare those within
// 1e-9, everything else exactly). Metric rows are sorted like the others.

// UserSessionsLines renders the user_sessions rows without closed: source, tenant, platform,
// user_id, session_id, start_ms, end_ms, messages, user_messages.
func (e Expected) UserSessionsLines() []string { return linesOf(e.UserSessions, UserSession.Line) }

// MembershipEventsLines renders the distinct membership_events rows: source, tenant, group_id,
// member_id, member_type, action, at_ms.
func (e Expected) MembershipEventsLines() []string {
	return linesOf(e.MembershipEvents, MembershipEvent.Line)
}

// GroupMembersLines renders the group_members rows.
func (e Expected) GroupMembersLines() []string { return linesOf(e.GroupMembers, GroupMember.Line) }

// GroupDailyLines renders the group_daily rows.
func (e Expected) GroupDailyLines() []string { return linesOf(e.GroupDaily, GroupDay.Line) }

// HandoversLines renders the handovers rows.
func (e Expected) HandoversLines() []string { return linesOf(e.Handovers, Handover.Line) }

// EngagementDailyLines renders the engagement_daily rows.
func (e Expected) EngagementDailyLines() []string {
	return linesOf(e.EngagementDaily, EngagementDay.Line)
}

// DauWauMauLines renders the dau_wau_mau rows: day, dau, wau, mau, stickiness.
func (e Expected) DauWauMauLines() []string { return linesOf(e.DauWauMau, DauWauMau.Line) }

// NewUsersLines renders the new_users rows: day, new_users.
func (e Expected) NewUsersLines() []string { return linesOf(e.NewUsers, NewUsers.Line) }

// BotRepliesLines renders the bot_replies row: bot_messages, replied, reply_rate.
func (e Expected) BotRepliesLines() []string { return []string{e.BotReplies.Line()} }

// BotResponseLines renders the bot_response row: answered, p50_ms, p90_ms.
func (e Expected) BotResponseLines() []string { return []string{e.BotResponse.Line()} }

// FirstHumanResponseLines renders the first_human_response row: handovers_to_agent, answered,
// p50_ms, p90_ms.
func (e Expected) FirstHumanResponseLines() []string { return []string{e.FirstHumanResponse.Line()} }

// ContainmentLines renders the containment row: sessions, handed_over, handover_rate,
// containment.
func (e Expected) ContainmentLines() []string { return []string{e.Containment.Line()} }

// ReactionsPerMessageLines renders the reactions_per_message row: messages, reactions,
// per_message.
func (e Expected) ReactionsPerMessageLines() []string {
	return []string{e.ReactionsPerMessage.Line()}
}

func linesOf[T any](rows []T, line func(T) string) []string {
	lines := make([]string, 0, len(rows))
	for _, r := range rows {
		lines = append(lines, line(r))
	}
	sort.Strings(lines)
	return lines
}

// tsv appends TabSeparated fields; each method appends one field and its separator.
type tsv struct {
	b       []byte
	started bool // a field was written: the next one needs a tab
}

func (t *tsv) sep() {
	if t.started {
		t.b = append(t.b, '\t')
	}
	t.started = true
}

func (t *tsv) str(ss ...string) *tsv {
	for _, s := range ss {
		t.sep()
		t.b = append(t.b, s...)
	}
	return t
}

func (t *tsv) int(vs ...int64) *tsv {
	for _, v := range vs {
		t.sep()
		t.b = strconv.AppendInt(t.b, v, 10)
	}
	return t
}

func (t *tsv) uint(vs ...uint64) *tsv {
	for _, v := range vs {
		t.sep()
		t.b = strconv.AppendUint(t.b, v, 10)
	}
	return t
}

func (t *tsv) null(vs ...NullInt64) *tsv {
	for _, v := range vs {
		t.sep()
		t.b = appendNull(t.b, v)
	}
	return t
}

func (t *tsv) flag(v bool) *tsv { t.sep(); t.b = appendBool(t.b, v); return t }

func (t *tsv) date(d time.Time) *tsv {
	t.sep()
	t.b = d.UTC().AppendFormat(t.b, "2006-01-02")
	return t
}

// float renders a Float64 in the shortest form that reads back exactly.
func (t *tsv) float(vs ...float64) *tsv {
	for _, v := range vs {
		t.sep()
		t.b = strconv.AppendFloat(t.b, v, 'g', -1, 64)
	}
	return t
}

func (t *tsv) String() string { return string(t.b) }

// Line renders the row in column order, closed left out.
func (s UserSession) Line() string {
	t := &tsv{}
	return t.str(s.Source, s.Tenant, s.Platform, s.UserID, s.SessionID).int(s.StartMs, s.EndMs).
		uint(uint64(s.Messages), uint64(s.UserMessages)).String()
}

// Line renders the row in column order.
func (m MembershipEvent) Line() string {
	t := &tsv{}
	return t.str(m.Source, m.Tenant, m.GroupID, m.MemberID, m.MemberType, m.Action).int(m.AtMs).String()
}

// Line renders the row in column order.
func (m GroupMember) Line() string {
	t := &tsv{}
	return t.str(m.Source, m.Tenant, m.GroupID, m.MemberID, m.MemberType).flag(m.IsMember).int(m.JoinedAtMs).
		null(m.LeftAtMs).int(m.UpdatedAtMs).String()
}

// Line renders the row in column order: day, source, tenant, group_id, joins, leaves, removes,
// net_change, members_end_of_day, active_members.
func (d GroupDay) Line() string {
	t := &tsv{}
	return t.date(d.Day).str(d.Source, d.Tenant, d.GroupID).uint(d.Joins, d.Leaves, d.Removes).int(d.NetChange).
		uint(d.MembersEndOfDay, d.ActiveMembers).String()
}

// Line renders the row in column order.
func (h Handover) Line() string {
	t := &tsv{}
	return t.str(h.Source, h.Tenant, h.Platform, h.ConversationID, h.UserID, h.ToRole).int(h.AtMs).String()
}

// Line renders the row in column order: day, source, tenant, platform, messages, delivered,
// read, failed, replied, active_users, the delivery and read p50, p90, p99, sessions,
// handovers.
func (d EngagementDay) Line() string {
	t := &tsv{}
	return t.date(d.Day).str(d.Source, d.Tenant, d.Platform).uint(d.Messages, d.Delivered, d.Read, d.Failed, d.Replied, d.ActiveUsers).
		null(d.DeliveryP50, d.DeliveryP90, d.DeliveryP99, d.ReadP50, d.ReadP90, d.ReadP99).uint(d.Sessions, d.Handovers).String()
}

// Line renders the row in column order.
func (r DauWauMau) Line() string {
	t := &tsv{}
	return t.date(r.Day).uint(r.DAU, r.WAU, r.MAU).float(r.Stickiness).String()
}

// Line renders the row in column order.
func (r NewUsers) Line() string {
	t := &tsv{}
	return t.date(r.Day).uint(r.NewUsers).String()
}

// Line renders the row in column order.
func (r BotReplies) Line() string {
	t := &tsv{}
	return t.uint(r.BotMessages, r.Replied).float(r.ReplyRate).String()
}

// Line renders the row in column order.
func (r BotResponse) Line() string {
	t := &tsv{}
	return t.uint(r.Answered).int(r.P50Ms, r.P90Ms).String()
}

// Line renders the row in column order.
func (r FirstHumanResponse) Line() string {
	t := &tsv{}
	return t.uint(r.HandoversToAgent, r.Answered).int(r.P50Ms, r.P90Ms).String()
}

// Line renders the row in column order.
func (r Containment) Line() string {
	t := &tsv{}
	return t.uint(r.Sessions, r.HandedOver).float(r.HandoverRate, r.Containment).String()
}

// Line renders the row in column order.
func (r ReactionsPerMessage) Line() string {
	t := &tsv{}
	return t.uint(r.Messages, r.Reactions).float(r.PerMessage).String()
}
