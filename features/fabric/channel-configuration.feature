@fabric
Feature: Channel configurations that outlive their certificates and binaries
  A channel configuration names the certificate authorities, intermediates and admins every node checks
  identities against, and the capability levels every node must understand. Both age while the network runs:
  an expired CA in a forgotten channel has kept orderers from starting, and a node below a channel's capability
  level crashes on the config block that sets it.

  Sources: hyperledger/fabric issue 3238; Fabric documentation, "Configuring and operating a Raft ordering
  service" and "Channel capabilities".

  @FAB-CERT-01 @static @live @blocker
  Scenario: No certificate a channel depends on is about to expire
    The root and intermediate CAs, the TLS root and intermediate CAs and the admin certificates of every
    organization, in every channel configuration: replacing one is a config update signed by the organizations'
    admins on every channel, so it is planned well ahead.

    When the CA, intermediate and admin certificates of every channel configuration are read
    Then no certificate of any channel configuration expires within 90 days

  @FAB-CAP-01 @static @live @critical
  Scenario: Every node runs a Fabric release that supports its channels' capability levels
    Orderers must support the channel and orderer capabilities of the channels they serve, peers the channel and
    application capabilities of the channels they joined.

    When the capability levels of every channel are read
    And the Fabric release of every node is read from its image and its operations endpoint
    Then every node runs a release at or above the capability levels of its channels
