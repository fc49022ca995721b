"""Policy authoring tools: what a governance team runs on its policy repository.

``fmt`` writes policies in the canonical layout (comments kept, via ``comments``), ``lint`` warns
about valid policies that probably mean something else, ``policytests`` runs the expected decisions kept
beside a policy, and ``init`` scaffolds a new policy repository from ``scaffold/``.
"""
