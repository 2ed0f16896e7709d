"""The WeChat side: the wire protocol, the /wechat endpoint, retry dedup, the menu."""
