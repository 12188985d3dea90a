// Package gen produces deterministic synthetic chat traffic together with the exact contract rows it must yield.
//
// The traffic imitates the Causal Foundry chat module: message, reaction, receipt and group
// envelopes, with duplicates, out-of-order and late arrivals, clock skew, orphan receipts and
// poison records mixed in. The expected message_facts and message_receipts rows are computed
// from the generator's own event model, never from the processor, so they can judge it.
package gen
