package gen

// FormatEngagement names the multi-day topic of all four formats shaped for the session,
// membership and engagement views.
const FormatEngagement = "engagement"

// Engagement generates one topic carrying all four formats over cfg.Days days, interleaved by
// arrival like Mixed (each format from its MixedConfig), with the rows of every contract view
// and documented metric. Its traffic differs from Mixed's in what the views need: users come
// back on later days and new ones appear; Causal Foundry groups see members leave and join
// again, removals, late joins, a join and a leave at the same millisecond, a repeated join,
// renames, a deletion and messages from non-members; a scripted user has a session split by
// a 31-minute pause and one kept by a pause of exactly 30 minutes; and every record carrying
// a message arrives within a few seconds of the message's time in record order (receipts may
// still arrive early or late), so that sessions are the pure function of the message times.
func Engagement(cfg Config) (Dataset, error) {
	return merge(FormatEngagement, cfg, profile{engage: true})
}
