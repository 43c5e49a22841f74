"""How Enterprise Manager's answers look on the wire: XML from lxml templates, links, errors."""
