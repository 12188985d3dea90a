package rows

// Message is the static description of one message, written when its owner first sees it.
// Copies of one message id with other content may arrive, in any order: the copy of the least
// (SentAtMs, ContentHash) is the message, and a copy that ranks lower than the one held is
// written too. Readers must keep, per (Source, Tenant, MsgID), the row of the least
// (SentAtMs, ContentHash), so the result does not depend on the order the copies came in.
type Message struct {
	Source         string
	Tenant         string
	Platform       string
	MsgID          string
	ConversationID string
	SenderType     string
	SenderID       string
	RecipientType  string
	RecipientID    string
	ParentMsgID    string
	ContentType    string
	SentAtMs       int64
	// ContentHash is a stable hash of the copy's content (join.ContentHash): it breaks ties
	// of SentAtMs between copies with other content.
	ContentHash uint64
	// Supersedes says the copy was written while another copy of the id, which it ranks
	// before, was held: the id has conflicting copies, and readers that keep less than the
	// whole message (user_days) must rank them.
	Supersedes bool
}

// Receipt is one status report of a message joined to the message's send time.
type Receipt struct {
	Source    string
	Tenant    string
	MsgID     string
	MemberID  string
	Status    string
	AtMs      int64
	LatencyMs int64 // AtMs minus MsgSentAtMs, never below 0
	// MsgSentAtMs is the send time of the copy of the message it was joined to, which files
	// the row under its message's day. When a copy with an earlier time arrives later, the
	// latency that counts is AtMs minus the winning copy's SentAtMs (see Message), never below 0.
	MsgSentAtMs int64
}

// Reply links a reply to its parent message.
type Reply struct {
	Source      string
	Tenant      string
	ParentMsgID string
	ReplyMsgID  string
	ReplyAtMs   int64
	LatencyMs   int64 // reply time minus MsgSentAtMs, never below 0
	// MsgSentAtMs is the send time of the copy of the parent it was joined to, which files the
	// row under its message's day; as for a Receipt, the latency that counts is against the
	// parent's winning copy.
	MsgSentAtMs int64
}

// Reaction is an emoji of an actor on a message being added (Present) or taken away.
type Reaction struct {
	Source      string
	Tenant      string
	TargetMsgID string
	ActorID     string
	Emoji       string
	AtMs        int64
	Present     bool
	// MsgSentAtMs is the target's send time, which files the row under its message's day.
	MsgSentAtMs int64
}

// Set is the rows produced by processing some events, grouped by table.
type Set struct {
	Messages    []Message
	Receipts    []Receipt
	Replies     []Reply
	Reactions   []Reaction
	Sessions    []Session
	Memberships []MembershipChange
	Handovers   []Handover
}

// Len is the number of rows in the set.
func (s *Set) Len() int {
	return len(s.Messages) + len(s.Receipts) + len(s.Replies) + len(s.Reactions) +
		len(s.Sessions) + len(s.Memberships) + len(s.Handovers)
}

// Reset empties the set and keeps its capacity. The rows it held are zeroed: their strings
// share memory with whole decoded records or a sink's string chunks, which a row left behind
// in the capacity would keep alive until a later row overwrote it.
func (s *Set) Reset() {
	s.Messages = reset(s.Messages)
	s.Receipts = reset(s.Receipts)
	s.Replies = reset(s.Replies)
	s.Reactions = reset(s.Reactions)
	s.Sessions = reset(s.Sessions)
	s.Memberships = reset(s.Memberships)
	s.Handovers = reset(s.Handovers)
}

func reset[T any](rs []T) []T {
	clear(rs)
	return rs[:0]
}

// Append adds every row of o to s.
func (s *Set) Append(o *Set) {
	s.Messages = append(s.Messages, o.Messages...)
	s.Receipts = append(s.Receipts, o.Receipts...)
	s.Replies = append(s.Replies, o.Replies...)
	s.Reactions = append(s.Reactions, o.Reactions...)
	s.Sessions = append(s.Sessions, o.Sessions...)
	s.Memberships = append(s.Memberships, o.Memberships...)
	s.Handovers = append(s.Handovers, o.Handovers...)
}

// Session is one version of a user's session. A session is written again whenever it grows or
// closes, with a higher Version; when two sessions merge or a session's start moves earlier,
// the id it had is written once more with Deleted set. Readers keep, per SessionID, the row of
// the highest Version and drop deleted ones.
type Session struct {
	Source       string
	Tenant       string
	Platform     string
	UserID       string
	SessionID    string
	StartMs      int64
	EndMs        int64
	Messages     uint32 // the user's own messages and messages addressed to the user directly
	UserMessages uint32 // the user's own messages
	Closed       bool
	Version      uint64
	Deleted      bool
}

// MembershipChange is one membership event of a group: a member joining, leaving or being
// removed, or the group being created, updated or deleted (then MemberID is empty).
type MembershipChange struct {
	Source     string
	Tenant     string
	GroupID    string
	MemberID   string
	MemberType string
	Action     string
	AtMs       int64
}

// Handover is a conversation handed to a bot or an agent.
type Handover struct {
	Source         string
	Tenant         string
	Platform       string
	ConversationID string
	UserID         string
	ToRole         string
	AtMs           int64
}
