"""isaac-sim (simulated): scene snapshots, object poses and a top-down camera.

Stands in for an Isaac Sim MCP server. Shares the world with
ros_mcp_server.py and resources.py (see sim_world.py).

Run by hand:  python3 isaac_sim.py   (MCP over stdio)
"""

from __future__ import annotations

import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    from mcp.server.fastmcp import FastMCP, Image  # real SDK when installed
except ImportError:
    from mcp_lite import FastMCP, Image

import sim_world

mcp = FastMCP("isaac-sim")


@mcp.tool()
def save_scene_state(label: str = "") -> str:
    """Snapshot the whole scene (robot, gripper, held object, object poses).

    Args:
        label: Optional note stored with the snapshot.

    Returns:
        The new scene id, e.g. "scene_0001".
    """
    with sim_world.world() as w:
        return w.save_scene(label)


@mcp.tool()
def restore_scene_state(scene_id: str = "") -> dict:
    """Restore a saved scene snapshot (robot, gripper, attachments, object poses).

    Args:
        scene_id: Id returned by save_scene_state; empty restores the latest one.

    Returns:
        {"success": True, "scene_id": str, "label": str, "robot": {...}, "objects_restored": int}
    """
    with sim_world.world() as w:
        return w.restore_scene(scene_id)


@mcp.tool()
def get_object_pose(object_name: str) -> dict:
    """Pose of an object in the world frame (metres; quaternion x, y, z, w).

    Args:
        object_name: Object name, e.g. "gear" (see list_scene_objects).

    Returns:
        {"object_name", "kind", "position": [x, y, z], "orientation": [x, y, z, w], "frame": "world",
        "attached_to": None|"gripper"|object, "held": bool, "fixed": bool}
    """
    with sim_world.world(write=False) as w:
        w.check_object(object_name)
        return w.object_view(object_name)


@mcp.tool()
def list_scene_objects() -> dict:
    """All objects in the scene with their poses."""
    with sim_world.world(write=False) as w:
        return {"objects": [w.object_view(n) for n in sorted(w.objects)], "count": len(w.objects)}


@mcp.tool()
def reset_scene() -> dict:
    """Put every object and the robot back to the initial scene (saved snapshots are kept)."""
    with sim_world.world() as w:
        return w.reset()


@mcp.tool()
def list_scene_states() -> dict:
    """List saved scene snapshots, oldest first (at most 100 are kept)."""
    with sim_world.world(write=False) as w:
        return w.scene_list()


@mcp.tool()
def capture_image(width: int = 160, height: int = 120) -> Image:
    """Render a top-down PNG of the table: objects as coloured squares, the gripper as a cross.

    Args:
        width: Image width in pixels (16..640).
        height: Image height in pixels (16..480).
    """
    if not (16 <= width <= 640 and 16 <= height <= 480):
        raise ValueError("width must be 16..640 and height 16..480, got %dx%d" % (width, height))
    with sim_world.world(write=False) as w:
        return Image(data=_render(w, width, height), format="png")


_COLOURS = {
    "block": (220, 60, 60), "gear": (230, 180, 40), "fixture": (90, 90, 90), "cylinder": (60, 120, 220),
    "box": (150, 90, 40), "sphere": (60, 180, 90), "mug": (200, 200, 220), "bolt": (120, 120, 140),
}


def _render(w, width: int, height: int) -> bytes:
    # Table area x 0.1..0.8 m (image right), y -0.5..0.5 m (image up).
    pix = [[(245, 240, 230)] * width for _ in range(height)]

    def to_px(x, y):
        return int((x - 0.1) / 0.7 * (width - 1)), int((0.5 - y) / 1.0 * (height - 1))

    def fill(cx, cy, half, colour):
        for py in range(max(0, cy - half), min(height, cy + half + 1)):
            row = pix[py]
            for px in range(max(0, cx - half), min(width, cx + half + 1)):
                row[px] = colour

    for name in sorted(w.objects, key=lambda n: w.objects[n]["position"][2]):
        o = w.objects[name]
        size = sim_world.OBJECTS[name][1]
        cx, cy = to_px(o["position"][0], o["position"][1])
        fill(cx, cy, max(1, int(max(size[0], size[1]) / 0.7 * width / 2)), _COLOURS.get(o["kind"], (0, 0, 0)))
    tx, ty = to_px(*w.robot["arm"]["tcp"][:2])
    for d in range(-3, 4):
        for px, py in ((tx + d, ty), (tx, ty + d)):
            if 0 <= px < width and 0 <= py < height:
                pix[py][px] = (0, 0, 0)
    raw = b"".join(b"\x00" + bytes(c for p in row for c in p) for row in pix)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    mcp.run(os.environ.get("ROBOT_SIM_TRANSPORT", "stdio"))
