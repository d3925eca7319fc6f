@corda
Feature: Hot-cold pair: identity and configuration
  Corda Enterprise runs highly available as a hot-cold pair: a primary and a backup on two machines that are the
  same legal identity. Only one of them runs at a time; the other waits for the mutual-exclusion lease in the
  shared database. Both advertise the load balancer to the network.

  Sources: Corda Enterprise, "HA deployment overview" and "Hot-cold high availability deployment".

  Background:
    Given a Corda hot-cold pair: a primary and a backup on two machines

  @CORDA-ID-01 @static @blocker
  Scenario: Primary and backup are one legal identity
    The backup carries copies of the primary's certificates/, additional-node-infos/, network-parameters and
    CorDapps.

    When the node.conf of both nodes is read
    And the files the backup must carry are compared with the primary's
    Then both nodes have the same myLegalName
    And the backup carries the same certificates, node infos, network parameters and CorDapps as the primary

  @CORDA-CFG-01 @static @blocker
  Scenario: Mutual exclusion is on for both nodes
    When the node.conf of both nodes is read
    Then mutual exclusion is on for both nodes
    And waitInterval is greater than updateInterval
    And machineName, where it is set, differs between the nodes

  @CORDA-CFG-02 @static @critical
  Scenario: Both nodes advertise the load balancer as their P2P address
    When the node.conf of both nodes is read
    Then both nodes advertise the load balancer's address and P2P port as their p2pAddress
    And each node's rpcSettings.address and adminAddress are its own machine's
