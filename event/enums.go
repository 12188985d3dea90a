package event

// Kind is what an event is about.
type Kind uint8

const (
	KindMessage Kind = iota + 1
	KindReceipt
	KindReaction
	KindMembership
	KindHandover
	// KindReactionSet is a reaction event in snapshot form: all reactions on a message.
	KindReactionSet
)

var kindNames = [...]string{KindMessage: "message", KindReceipt: "receipt", KindReaction: "reaction", KindMembership: "membership", KindHandover: "handover", KindReactionSet: "reaction_set"}

func (k Kind) String() string { return name(kindNames[:], int(k)) }

// Source is the input format an event came from; its name is the `source` column.
type Source uint8

const (
	SourceCausalFoundry Source = iota + 1
	SourceExpertflow
	SourceChatlayer
	SourceVoipbin
)

var sourceNames = [...]string{SourceCausalFoundry: "causalfoundry", SourceExpertflow: "expertflow", SourceChatlayer: "chatlayer", SourceVoipbin: "voipbin"}

func (s Source) String() string { return name(sourceNames[:], int(s)) }

// ParseSource returns the source with the given name.
func ParseSource(s string) (Source, bool) { return parse[Source](sourceNames[:], s) }

// Role is what kind of participant an actor is.
type Role uint8

const (
	RoleUser Role = iota + 1
	RoleBot
	RoleAgent
	RoleSupervisor
	RoleSystem
)

var roleNames = [...]string{RoleUser: "user", RoleBot: "bot", RoleAgent: "agent", RoleSupervisor: "supervisor", RoleSystem: "system"}

func (r Role) String() string { return name(roleNames[:], int(r)) }

// ParseRole returns the role with the given lower-case name.
func ParseRole(s string) (Role, bool) { return parse[Role](roleNames[:], s) }

// RecipientType says whether a message is addressed to one user or to a group.
type RecipientType uint8

const (
	RecipientUser RecipientType = iota + 1
	RecipientGroup
)

var recipientNames = [...]string{RecipientUser: "user", RecipientGroup: "group"}

func (r RecipientType) String() string { return name(recipientNames[:], int(r)) }

// ParseRecipientType returns the recipient type with the given lower-case name.
func ParseRecipientType(s string) (RecipientType, bool) {
	return parse[RecipientType](recipientNames[:], s)
}

// ReceiptStatus is the status a receipt reports.
type ReceiptStatus uint8

const (
	StatusSent ReceiptStatus = iota + 1
	StatusDelivered
	StatusRead
	StatusFailed
	StatusDeleted
)

var statusNames = [...]string{StatusSent: "sent", StatusDelivered: "delivered", StatusRead: "read", StatusFailed: "failed", StatusDeleted: "deleted"}

func (s ReceiptStatus) String() string { return name(statusNames[:], int(s)) }

// ParseReceiptStatus returns the status with the given lower-case name.
func ParseReceiptStatus(s string) (ReceiptStatus, bool) {
	return parse[ReceiptStatus](statusNames[:], s)
}

// MembershipAction is what happened to a group or one of its members.
type MembershipAction uint8

const (
	ActionJoin MembershipAction = iota + 1
	ActionLeave
	ActionRemove
	ActionCreate
	ActionUpdate
	ActionDelete
)

var actionNames = [...]string{ActionJoin: "join", ActionLeave: "leave", ActionRemove: "remove", ActionCreate: "create", ActionUpdate: "update", ActionDelete: "delete"}

func (a MembershipAction) String() string { return name(actionNames[:], int(a)) }

// ParseMembershipAction returns the action with the given lower-case name.
func ParseMembershipAction(s string) (MembershipAction, bool) {
	return parse[MembershipAction](actionNames[:], s)
}

// MemberLevel reports whether the action concerns one member rather than the whole group.
func (a MembershipAction) MemberLevel() bool {
	return a == ActionJoin || a == ActionLeave || a == ActionRemove
}

func name(names []string, i int) string {
	if i <= 0 || i >= len(names) {
		return "unknown"
	}
	return names[i]
}

func parse[T ~uint8](names []string, s string) (T, bool) {
	for i, n := range names {
		if i > 0 && n == s {
			return T(i), true
		}
	}
	return 0, false
}

func (s Source) valid() bool           { return s > 0 && int(s) < len(sourceNames) }
func (r Role) valid() bool             { return r > 0 && int(r) < len(roleNames) }
func (r RecipientType) valid() bool    { return r > 0 && int(r) < len(recipientNames) }
func (s ReceiptStatus) valid() bool    { return s > 0 && int(s) < len(statusNames) }
func (a MembershipAction) valid() bool { return a > 0 && int(a) < len(actionNames) }
