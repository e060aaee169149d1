"""Models: CAM classifiers, CONTA heads, refinement networks, segmentors."""
