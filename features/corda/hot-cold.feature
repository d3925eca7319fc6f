@corda
Feature: Hot-cold pair: one active node
  Only the node that holds the mutual-exclusion lease in the shared database is active: it alone opens its P2P and
  RPC ports. A node that cannot claim the lease waits and exits; the active node exits when its database
  connection goes down.

  Sources: Corda Enterprise, "Hot-cold high availability deployment".

  Background:
    Given a Corda hot-cold pair: a primary and a backup on two machines

  @CORDA-HA-01 @live @blocker
  Scenario: Only one node is active at any time
    When both nodes are sampled often enough to catch an overlap
    Then exactly one node holds the mutual-exclusion lease
    And only the lease holder accepts P2P and RPC connections
    And a second node started while it runs does not become active
    And the nodes were sampled at least every 200 ms

  # Only environments with real networks (the docker profile) can partition a node; others skip with the reason.
  @CORDA-HA-01 @live @blocker @partition @disruptive
  Scenario: A hot node cut off from the database and the load balancer at once does not leave two nodes active
    When the hot node is cut off from the database and the load balancer at once
    Then at no moment are both nodes active
    And only the lease holder accepts P2P and RPC connections
    And the nodes were sampled at least every 200 ms

  @CORDA-HA-02 @drill @disruptive @critical
  Scenario: The active node stops serving when it loses its database connection
    When the active node loses its database connection
    Then it stops accepting P2P and RPC connections
