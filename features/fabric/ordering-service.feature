@fabric
Feature: Raft ordering service
  A Raft ordering service keeps ordering transactions while a whole region is lost, as long as a majority of
  its consenters stays up. The reference layout spreads five ordering nodes 2-1-2 over three regions, each node
  a consenter of every channel and each holding its own certificate from the one organization CA.

  Sources: IBM Blockchain Platform, "Setting up multiregion High Availability (HA) deployments for the ordering
  service"; hyperledger-labs/fabric-operator issue 34 and field reports on multi-region ordering services.

  Background:
    Given an ordering service of 5 nodes spread 2-1-2 over 3 regions

  @FAB-ORD-01 @static @live @blocker
  Scenario: A production ordering service has at least five Raft consenters
    In Raft a majority of the consenters is needed for a quorum: three consenters tolerate the loss of only one,
    one or two tolerate none.

    When the consenters of every channel are read from its channel configuration
    And the ordering nodes report their Raft cluster size
    Then every channel has at least 5 consenters

  @FAB-ORD-02 @static @blocker
  Scenario: Losing any single region leaves a majority of consenters
    For every region r, the consenters outside r must number at least ⌊n/2⌋+1. A 3-1-1 layout, or five nodes in
    two regions, loses the quorum with the wrong region.

    When the consenters are mapped to the regions their ordering nodes run in
    Then for every region, the consenters outside it still form a majority

  @FAB-ORD-03 @drill @disruptive @blocker
  Scenario Outline: When region <region> is lost, the others elect a leader and commit, and the region catches up
    The drill stops every ordering node of one region at a time, records leader, writes and block heights on a
    timeline, and restores the region before the next one. It runs once; each example judges its own region.

    When every ordering node of region <region> is stopped
    Then a leader is elected among the remaining nodes within 5 seconds
    And a new block is committed
    When region <region> returns
    Then its ordering nodes catch up to the same block height as the others

    Examples:
      | region |
      | r1     |
      | r2     |
      | r3     |

  @FAB-ORD-04 @static @live @critical
  Scenario: The consenter set is complete and has no ghosts
    "Requires attention" in the console means a node is deployed but is not a consenter.

    When the deployed ordering nodes are compared with the consenters of every channel
    And each ordering node reports its channel participation
    Then every deployed ordering node is an active consenter of every channel
    And every consenter is a deployed ordering node

  @FAB-ORD-05 @static @live @critical
  Scenario: Ordering nodes of one organization are spread over distinct worker nodes and zones
    When the ordering pods are mapped to their worker nodes and zones
    Then no two ordering nodes of one organization in one cluster share a worker node
    And they are spread over distinct zones where the cluster has zones

  @FAB-ORD-06 @static @live @critical
  Scenario: Every ordering node holds its own certificate from the one organization CA
    One enroll ID may be reused for every ordering node; the certificate may not.

    When the enrolment and TLS certificates of every ordering node are read
    Then every certificate is issued by the ordering organization's CA
    And no two ordering nodes share a certificate

  @FAB-ORD-07 @live @normal
  Scenario: Regions are close enough for consensus
    When the round trip between ordering nodes of different regions is measured
    Then every round trip stays under 100 ms

  @FAB-ORD-08 @static @live @blocker
  Scenario: No consenter's TLS certificate is about to expire, and no majority expires together
    "Certificate expiry has doomed many a blockchain network": when a majority of the consenters' certificates
    expires in the same window, one missed renewal loses the quorum everywhere at once.

    When the expiry dates of the consenters' TLS certificates are read
    Then no consenter's certificate expires within 30 days
    And no majority of the consenters' certificates expires within 30 days of each other

  @FAB-ORD-09 @static @live @critical
  Scenario: Every consenter's TLS certificate names the host the other orderers dial
    Cross-cluster orderers fail with "certificate is not valid for … wanted to match orderer…" when it does not.

    When each consenter's host is compared with the names in its server TLS certificate
    Then every consenter's certificate names its host
    And a TLS handshake to each consenter by that host name verifies

  @FAB-ORD-10 @static @live @blocker
  Scenario: A consenter's TLS key is unchanged by renewal, in every channel
    The other orderers authenticate a consenter by the public key of its certificate in each channel's consenter
    set. A certificate renewed with the same key needs no config update; one renewed with a new key must be
    updated in every channel the node serves, the rarely used ones too, or the node drops out of those.

    When the consenter entries of every channel are compared with each ordering node's current TLS certificate
    Then every consenter entry holds the public key of its node's current TLS certificate

  @FAB-ORD-13 @static @critical
  Scenario: Every organization hosting orderers publishes orderer endpoints in every region
    Peers and clients find the ordering service through the orderer organizations' endpoints (OrdererEndpoints);
    the channel-level OrdererAddresses are deprecated and Fabric 3 ignores them.

    When the orderer endpoints of every channel are mapped to the regions of the ordering nodes they name
    Then every organization that hosts ordering nodes publishes its orderer endpoints
    And they name an ordering node in every region the organization runs one in

  @FAB-ORD-11 @static @live @critical
  Scenario: Raft timing and message sizes fit the network and are the same on every node
    An election timeout close to the round trip between regions elects leaders for nothing; a tick interval
    overridden on one orderer only "could result in a loss of quorum"; a block larger than half the gRPC message
    limit cannot be read back from a peer, since a block travels twice in one response.

    When the Raft options and the block size of every channel and the configuration of every node are read
    And the round trip between ordering nodes of different regions is measured
    Then the election timeout is at least 10 times the longest round trip between regions
    And every consenter of a channel ticks at the same interval
    And every gRPC message limit is at least 2 times the largest block a channel allows

  @FAB-ORD-12 @static @drill @disruptive @blocker
  Scenario: Ordering state survives a restart
    An ordering node's Raft write-ahead log, snapshots and ledger must outlive its container: started again without
    them it panics with "tocommit(N) is out of range" and cannot rejoin. The drill restarts one ordering node of each
    region with its data, while the others commit a block.

    When the volumes behind every ordering node's data directories are read
    And one ordering node of each region is restarted with its data
    Then every data directory is on a persistent volume
    And it rejoins and catches up within 60 seconds
