@fabric
Feature: Peers of an organization
  An organization stays on the network when a region fails because it runs redundant peers in different regions:
  one organization (same MSP ID, same CA), joined to the same channels, ledgers in sync, every peer an anchor
  peer so that gossip, service discovery and private data keep working across organizations.

  Sources: IBM Blockchain Platform, "Setting up multiregion High Availability (HA) deployments for peers";
  the Fabric test network on Kubernetes, "High Availability".

  Background:
    Given the organizations run peers in these regions:
      | organization | regions |
      | org1         | r1, r2  |
      | org2         | r2, r3  |

  @FAB-PEER-01 @static @live @critical
  Scenario: Each organization runs redundant peers in different regions
    When the peers are mapped to the regions they run in
    Then every organization keeps a peer when any single region fails

  @FAB-PEER-02 @static @live @critical
  Scenario: Redundant peers are one organization
    The organization's CA and MSP are imported into the other regions, not created again.

    When the MSP IDs and certificates of every peer are read
    Then all peers of an organization share its MSP ID
    And every peer's certificate is issued by its organization's CA

  @FAB-PEER-03 @static @live @critical
  Scenario: Redundant peers are joined to the same channels and their ledgers stay in sync
    When the channels every peer has joined are compared
    And every peer reports its ledger height on each channel
    Then the peers of an organization are joined to the same channels
    And their ledger heights are within 5 blocks of each other

  @FAB-PEER-04 @static @critical
  Scenario: Every redundant peer is an anchor peer of its organization on every channel
    When the anchor peers of every organization are read from each channel configuration
    Then every peer is an anchor peer of its organization on every channel it belongs to

  @FAB-PEER-05 @drill @disruptive @critical
  Scenario Outline: With region <region> down, each organization still answers through its remaining peers
    The drill stops one region at a time and queries every organization; it runs once, and each example judges
    its own region.

    When every peer of region <region> is stopped
    Then each organization answers a query through a peer outside region <region>

    Examples:
      | region |
      | r1     |
      | r2     |
      | r3     |

  @FAB-PEER-06 @static @live @critical
  Scenario: Gossip is configured for high availability
    With leader election off, each peer that is an org leader pulls blocks from the ordering service itself; a
    region whose peers are all stand-by waits for a leader elsewhere. A peer that publishes no external endpoint is
    invisible to other organizations and to service discovery, so no gateway selects it; a peer lagging the others
    behind one gateway Service answers clients with an old ledger.

    When the gossip settings of every peer are read
    And every peer reports its ledger height on each channel
    Then no peer sets both useLeaderElection and orgLeader
    And in every region of an organization a peer pulls blocks from the ordering service
    And every peer behind a gateway Service publishes its external endpoint
    And the ledger heights of the peers behind each gateway Service are within 2 blocks of each other
