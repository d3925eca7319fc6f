@corda
Feature: Hot-cold pair: shared database and shared drive
  The primary and the backup share one database, which holds the mutual-exclusion lease, and one network drive
  for Artemis, so that the backup picks up the primary's messages when it takes over.

  Sources: Corda Enterprise, "HA deployment overview" and "Hot-cold high availability deployment".

  Background:
    Given a Corda hot-cold pair: a primary and a backup on two machines

  @CORDA-DB-01 @static @live @blocker
  Scenario: Both nodes use one shared database, and it is reachable
    When the data source settings of both nodes are read
    And the harness connects to the database
    Then both nodes use the same JDBC URL and user
    And the database is reachable

  @CORDA-FS-01 @static @live @critical
  Scenario: The Artemis directory of both nodes is the one shared drive
    When the artemis directories of both nodes are resolved
    And a file written through one node's artemis directory is looked for through the other's
    Then both artemis directories are the one shared drive
