@corda
Feature: Load balancer
  One load balancer presents a single address for P2P, RPC and web traffic. A health probe per traffic type finds
  the hot node, so traffic goes to it and not to the cold one; when the hot node stops, the probes move the
  traffic to the backup once it has taken the lease.

  Sources: Corda Enterprise, "HA deployment overview" (Azure) and "Hot-cold high availability deployment" (AWS).

  Background:
    Given a Corda hot-cold pair: a primary and a backup on two machines

  @CORDA-LB-01 @static @critical
  Scenario: The load balancer has a probe and a rule per traffic type and a pool of both machines
    On AWS classic ELB there is one load balancer per traffic type, each with its own health check.

    When the load balancer's configuration is read
    Then it has a health probe for P2P, RPC and web, each with an interval and an unhealthy threshold
    And a rule per port forwards to the same backend port
    And its backend pool holds both machines, with no session persistence

  @CORDA-LB-02 @live @critical
  Scenario: The probes route traffic to the hot node
    When P2P, RPC and web connections are made through the load balancer's address
    Then they reach the active node
    And the load balancer holds the active node healthy and the other unhealthy

  @CORDA-LB-03 @drill @disruptive @critical
  Scenario: When the hot node stops, the backup takes over and the load balancer follows
    The bound is waitInterval + probe interval × unhealthy threshold, plus a stated tolerance.

    When the hot node is stopped
    Then the backup takes the lease once waitInterval has passed
    And the load balancer routes to the backup within the bound
    And at no moment are both nodes active
    And the measured failover time is reported
