@fabric
Feature: Peer gateway Service
  In each Kubernetes cluster an organization's peers sit behind one Service (`org1-peer-gateway-svc`, selector
  `org: org1`), so that an application connects to the Service and reaches whichever peer is up. kube-proxy in
  ipvs mode balances new connections round robin; a long-lived gRPC connection is not moved once it is open.

  Source: Fabric test network on Kubernetes (KIND), "High Availability".

  Background:
    Given the organizations run peers in these regions:
      | organization | regions |
      | org1         | r1, r2  |
      | org2         | r2, r3  |

  @FAB-GW-01 @static @live @critical
  Scenario: Each gateway Service selects every local peer of its organization and nothing else
    A Service reaches only pods of its own cluster; redundancy across regions is FAB-PEER-01's.

    When the gateway Service of each organization is matched against the pods of its cluster
    Then its selector picks every peer pod of the organization in that cluster and no other pod
    And it forwards the peer port 7051 to at least 2 peers

  @FAB-GW-02 @static @live @normal
  Scenario: kube-proxy balances connections to the gateway Service in ipvs mode
    When the kube-proxy mode of every cluster is read
    Then kube-proxy runs in ipvs mode everywhere

  @FAB-GW-03 @static @live @critical
  Scenario: Every peer's TLS certificate names its own host and its organization's gateway Service
    A client that dials the Service name verifies the certificate of whichever peer answers.

    When the subject alternative names of every peer's TLS certificate are read
    Then every certificate names the peer's own host and its organization's gateway Service
    And a TLS handshake to each gateway Service by its name verifies

  @FAB-GW-04 @drill @disruptive @normal
  Scenario: New connections through the gateway Service reach a working peer when one peer stops
    An existing long-lived gRPC connection is not moved to another peer when its peer stops: that is expected,
    and the report says so.

    When new connections are made through each gateway Service
    And one peer behind each gateway Service is stopped
    Then the new connections were spread over the organization's peers
    And after the stop every new connection reaches a working peer
    And the report says what happened to the long-lived connection to the stopped peer
