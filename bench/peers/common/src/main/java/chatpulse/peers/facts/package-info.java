/**
 * What both peers share, free of either framework: Causal Foundry decode with chatpulse's rules, the
 * per-message join aggregate and its message_facts row.
 */
package chatpulse.peers.facts;
