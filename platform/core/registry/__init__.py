"""People and places (人、户、房、楼、单位): the registry every department module shares."""
