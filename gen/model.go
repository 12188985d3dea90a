package gen

// The model: who exists, which conversations they hold, and every event that happens in them.
// Expected rows are folded from this model; raw records are rendered from it.

type actor struct {
	kind string // "user" or "bot"
	id   string
}

type conversation struct {
	groupID  string  // "" for a direct chat
	platform string  // lower case
	members  []actor // the group's members, or the two participants of a direct chat
	msgs     []*message
}

type message struct {
	id          string
	conv        *conversation
	platformRaw string // as written; lower-cased it is conv.platform
	sender      actor
	recipientID string // group id, direct recipient id, or "" when the record names none
	parent      *message
	content     string
	at          stamp
	place       placement // for a reply: relative to its parent
	arrival     int64     // record-order position and Kafka timestamp, filled by the stream
	receipts    []*receipt
	reactions   []*reaction
}

func (m *message) recipientType() string {
	if m.conv.groupID != "" {
		return "group"
	}
	return "user"
}

type receipt struct {
	msgID  string // for an orphan, an id no message has
	member string // "" when the receipt names no member
	status string
	at     stamp
	place  placement
	skewed bool
}

type reaction struct {
	id     string
	target *message
	actor  actor
	emoji  string
	at     stamp
	place  placement
}

// groupEvent is a membership record; it has no "ts", so its record timestamp is its time.
type groupEvent struct {
	conv   *conversation
	kind   string // join, leave, remove, create, update or delete
	member actor
	at     int64
}

// placement says where a dependent event sits in record order relative to its message.
type placement uint8

const (
	inOrder    placement = iota // shortly after its message
	outOfOrder                  // before its message
	late                        // hours after its message
)

type world struct {
	users, bots []actor
	groups      []*conversation
	direct      map[string]*conversation // by sorted participant pair
	msgs        []*message               // in event-time order
	orphans     []*receipt
	groupEvents []groupEvent
	lastMs      int64 // latest message time
	prof        profile
	avail       int // users that open direct chats at the current message (a prefix of users)
}

var platforms = []string{"whatsapp", "telegram", "other"}

// rawPlatform spells a lower-case platform the way producers do, upper case included.
func rawPlatform(g rng, p string) string {
	switch p {
	case "whatsapp":
		return []string{"whatsapp", "WhatsApp", "WHATSAPP"}[g.weighted(6, 3, 1)]
	case "telegram":
		return []string{"telegram", "Telegram"}[g.weighted(8, 2)]
	}
	return p
}
