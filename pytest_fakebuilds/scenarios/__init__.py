"""What a test can make go wrong, and what it can see went on.

- ``outcomes``: how each build ends (failed, hanging, after a duration or a
  number of status reads) and why.
- ``dependencies``: Twilio's create-time checks of a build's dependencies and
  runtime.
- ``faults``: answers the wire gives instead of the API's (errors, 429 bursts,
  client-side exceptions, latency, broken bodies), per operation.
- ``journal``: the calls the fake answered, with the assertions built on them.

The core knows none of this: faults reach requests through the dispatch
core's hook, outcomes and dependency checks through the build rules.
"""
