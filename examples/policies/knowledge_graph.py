"""A non-robot policy over real npm servers: index the example policies into a knowledge graph.

It lists examples/policies with the filesystem server, reads each file, finds
which servers it calls, and records that in the memory server as entities
and "uses" relations, then answers a question from the graph. Run it with:
  orch run --config examples/npm_servers_config.json examples/policies/knowledge_graph.py
"""
import re

# The filesystem server answers with structured content: {"content": "<text>"}.
listing = filesystem__list_directory(path="policies")["content"]
files = sorted(line.split(" ", 1)[1] for line in listing.splitlines() if line.startswith("[FILE]") and line.endswith(".py"))

entities, relations, servers = [], [], set()
for name in files:
    text = filesystem__read_text_file(path=f"policies/{name}")["content"]
    used = sorted(set(re.findall(r"\b([A-Za-z][A-Za-z0-9_]*?)__[a-z]", text)))
    doc = re.search(r'"""(.+?)(?:\n|""")', text)
    first = doc.group(1).strip() if doc else (text.splitlines() or [""])[0].lstrip("# ")
    entities.append({"name": name, "entityType": "policy", "observations": [first, f"{len(text.splitlines())} lines"]})
    for server in used:
        servers.add(server)
        relations.append({"from": name, "to": server, "relationType": "uses"})

# Start from a clean slate for these names, so the example can run again.
memory__delete_entities(entityNames=[e["name"] for e in entities] + sorted(servers))
memory__create_entities(entities=entities + [{"name": s, "entityType": "server", "observations": []} for s in servers])
memory__create_relations(relations=relations)

graph = memory__read_graph()
users = {}
for r in graph["relations"]:
    if r["relationType"] == "uses":
        users.setdefault(r["to"], []).append(r["from"])
for server in sorted(users):
    print(f"{server}: used by {', '.join(sorted(users[server]))}")

hits = memory__search_nodes(query="Resources")
print(f"\n{len(hits['entities'])} graph nodes mention Resources; "
      f"echo says: {everything__echo(message='graph built')}")
