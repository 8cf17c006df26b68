"""The electronic map (电子地图): what it draws of a county. Above the hierarchy, the tasks
and the registry, whose figures it shows."""
