// Package gen produces deterministic synthetic chat traffic together with the exact contract rows it must yield.
//
// Four formats are generated, each from its own model: Causal Foundry chat-module envelopes
// (messages, reactions, receipts, group events), Expertflow conversation message objects
// (messages and activity messages), Chatlayer inbound messages and handover actions (message
// ids derived from content), and VoIPbin talk messages (each update re-sends the whole message
// with its current reactions and soft deletion). Mixed interleaves all four in one topic;
// Engagement does so over several days with traffic shaped for the session, membership and
// engagement views and the documented metrics, whose rows every dataset also expects.
// Duplicates, out-of-order and late arrivals, clock skew, orphan receipts and poison records
// are mixed in where the format has them. The expected message_facts and message_receipts rows
// are folded from each generator's own model, never from the processor or its decoders, so
// they can judge them.
package gen
