"""Support for tests of the gate agent: the API stub and bridge simulator, a loop on fakes."""
