"""What the router missed until the bundled rules named it, found by running `frontdesk triage` over complaints written
to probe it (docs/figures.md), with the near misses each rule must not fire on."""

from __future__ import annotations

import pytest

from frontdesk.settings import load_settings
from tests.router.judging import default_router, message


@pytest.mark.parametrize(("text", "rule", "category"), [
    ("The staff at the Leeds branch refused to serve me because I'm in a wheelchair", "harassment.discrimination",
     "harassment"),
    ("The driver wouldn't let me board because of my guide dog", "harassment.discrimination", "harassment"),
    ("The bouncer told us to leave because we are gay", "harassment.discrimination", "harassment"),
    ("The taxi refused to take us because my wife wears a hijab", "harassment.discrimination", "harassment"),
    ("The delivery man keeps texting me asking me out", "harassment.sexual", "harassment"),
    ("Your engineer made inappropriate comments about my body while fixing the boiler", "harassment.sexual",
     "harassment"),
    ("The courier followed me home from the depot", "harassment.sexual", "harassment"),
    ("Someone used my card on your site for 5 orders I never placed", "financial.fraud", "financial"),
    ("There are three payments I didn't authorise on my statement", "financial.fraud", "financial"),
    ("The lift in your store is broken and my mum is stuck inside", "safety.trapped", "safety"),
    ("The elevator got stuck with us in it for 40 minutes and the alarm does nothing", "safety.trapped", "safety"),
    ("The battery exploded in my hand while it was charging", "safety.hazard", "safety"),
    ("I think the boiler is going to explode, it keeps banging", "safety.hazard", "safety"),
    ("There was an explosion in the kitchen after your engineer left", "safety.hazard", "safety"),
    ("The chicken I bought yesterday was raw in the middle and now my whole family is vomiting", "safety.hazard",
     "safety"),
    ("My baby threw up all night after the new formula", "safety.hazard", "safety"),
    ("The nurse at your clinic gave my daughter double the dose", "safety.hazard", "safety"),
    ("Your support agent laughed at my stammer on the phone", "harassment.discrimination", "harassment"),
    ("Your agent told my 80 year old mum she'd go to prison if she didn't pay today", "harassment.intimidation",
     "harassment"),
    ("I'm reporting you to Ofcom over these silent calls", "regulatory.authority", "regulatory"),
    ("This has gone to the ICO now", "regulatory.authority", "regulatory"),
])
def test_refusals_for_who_someone_is_advances_fraud_a_lift_and_explosions_are_paged(text, rule, category):
    result = default_router().classify(message(text))
    assert result.reasons[0].name == rule and category in result.categories
    assert result.urgency in load_settings(environ={}).router.page_urgencies


@pytest.mark.parametrize("text", [
    "There is black mould all over the bedroom of the flat you manage and my baby is wheezing",
    "Mould everywhere in the bathroom since the leak you never fixed",
    "Your electrician left exposed wires in the hallway",
    "My daughter's car seat was recalled but you never told us",
    "Im Kinderzimmer ist schwarzer Schimmel an der Wand",
])
def test_a_lasting_hazard_before_anyone_is_hurt_is_high_on_the_default_rules(text):
    result = default_router().classify(message(text))
    assert (result.reasons[0].name, result.urgency, result.categories[0]) == ("safety.risk", "high", "safety")


@pytest.mark.parametrize(("text", "rule", "urgency"), [
    ("I'm going to end it all if you don't sort out my benefits", "safety.hazard", "critical"),
    ("I don't want to live anymore after what your bailiffs did", "safety.hazard", "critical"),
    ("The flight attendant refused to let my diabetic son eat and he passed out", "safety.hazard", "critical"),
    ("Your pilot announced we were low on fuel and then the captain came out drunk", "safety.hazard", "critical"),
    ("The driver was on his phone the whole time and ran a red light with us in the back", "safety.risk", "high"),
    ("A scaffolding pole from your site fell onto the pavement next to my daughter", "safety.risk", "high"),
    ("There are needles in the children's play area of your park", "safety.risk", "high"),
    ("You cut off my gas supply and I have a newborn at home, it's freezing", "safety.vulnerable", "high"),
    ("I've been without water for four days and I'm disabled", "safety.vulnerable", "high"),
    ("My insulin was in the bag you lost and I have none left", "safety.vulnerable", "high"),
    ("The care home hasn't given my mum her medication for three days", "safety.vulnerable", "high"),
    ("The carer you sent left my dad on the floor for 6 hours", "safety.vulnerable", "high"),
    ("I was told to pay in gift cards by someone claiming to be from your company", "financial.fraud", "high"),
    ("Your security guard followed my son around the store because he's black", "harassment.discrimination",
     "high"),
    ("Your engineer left the gas hob on after the repair and the house filled with gas", "safety.hazard",
     "critical"),
    ("The baby formula tin had a piece of metal in it", "safety.hazard", "critical"),
    ("I found a needle in my sandwich", "safety.hazard", "critical"),
    ("The brakes on the e-bike I bought from you failed going downhill", "safety.hazard", "critical"),
    ("Your staff gave my child peanuts even though I told them about his allergy", "safety.risk", "high"),
    ("The handrail on your stairs came away and my grandad fell down the stairs", "safety.risk", "high"),
    ("My son cut his hand badly on the broken glass door at your store", "safety.risk", "high"),
    ("There's a strong chemical smell from your factory and my kids have headaches", "safety.risk", "high"),
    ("The child lock on the washing machine doesn't work and my toddler opened it mid-cycle", "safety.risk",
     "high"),
    ("The customer service rep called me a stupid cow", "harassment.discrimination", "high"),
    ("My daughter is being bullied by another kid on your platform and your moderators do nothing",
     "harassment.discrimination", "high"),
    ("The engineer went through my drawers while I was in the kitchen", "privacy.intrusion", "high"),
    ("The landlord's agent let himself into my flat without notice while I was asleep", "privacy.intrusion", "high"),
    ("The meter reader didn't show any ID and pushed his way into my house", "privacy.intrusion", "high"),
    ("Your driver took a photo of me through my window", "privacy.intrusion", "high"),
    ("Your employee sent me a friend request on Facebook after I complained", "privacy.intrusion", "high"),
    ("Ma mère est tombée dans vos escaliers et s'est cassé le poignet", "safety.risk", "high"),
    ("My dad broke his hip on your wet floor", "safety.risk", "high"),
    ("The pram wheel came off while I was crossing the road with my baby in it", "safety.risk", "high"),
    ("The balcony railing in the flat you rent me is loose and my toddler leans on it", "safety.risk", "high"),
    ("The new formula made my baby really ill, she can't keep anything down", "safety.risk", "high"),
    ("Mein Sohn hat sich an Ihrem Wasserkocher schwer verbrüht", "safety.hazard", "critical"),
    ("My dad died after your care home ignored his fall", "safety.hazard", "critical"),
    ("The delivery guy told me to fuck off when I asked for my parcel", "harassment.discrimination", "high"),
    ("Your driver called me a fucking idiot and threw the parcel at me", "harassment.discrimination", "high"),
    ("Your security guard searched my bag for no reason in front of everyone", "harassment.accused", "high"),
    ("The manager accused me of shoplifting and made me empty my pockets", "harassment.accused", "high"),
    ("The guard detained me and wouldn't let me leave until the police came", "harassment.accused", "high"),
    ("Mi hijo se cortó con el cristal roto de la puerta de su tienda", "safety.risk", "high"),
    ("Il s'est coupé avec le verre cassé de la vitrine", "safety.risk", "high"),
    ("The wheelchair ramp at your Elm Street branch has been broken for three weeks", "harassment.access", "high"),
    ("The disabled lift at the station is out of order and I cannot reach the platform in my wheelchair",
     "harassment.access", "high"),
])
def test_a_life_at_risk_a_vulnerable_customer_an_intrusion_and_an_injury_are_paged(text, rule, urgency):
    result = default_router().classify(message(text))
    assert (result.reasons[0].name, result.urgency) == (rule, urgency)


@pytest.mark.parametrize(("text", "rule"), [
    ("The manager refused to serve me because I was rude", "harassment.discrimination"),
    ("They refused my refund because the blind was already fitted", "harassment.discrimination"),
    ("The app didn't load because the screen was black", "harassment.discrimination"),
    ("The driver keeps texting me asking where to leave the parcel", "harassment.sexual"),
    ("Your staff were touching my items without gloves", "harassment.sexual"),
    ("I used my card on your site and it was declined", "financial.fraud"),
    ("Your lift is stuck on the 4th floor again", "safety.trapped"),
    ("The lift has been out of order for weeks, my dad is stuck in the flat", "safety.trapped"),
    ("I feel like I'm going to explode with how frustrated I am", "safety.hazard"),
    ("My inbox exploded with your spam this week", "safety.hazard"),
    ("My phone blew up with messages from your app at 3am", "safety.hazard"),
    ("Honestly an explosion of flavour, well done", "safety.hazard"),
    ("The food was so bad I nearly threw up", "safety.hazard"),
    ("Double the dose of caffeine in this can, love it", "safety.hazard"),
    ("They mocked my order on the receipt", "harassment.discrimination"),
    ("I told him I'd go to jail before paying this bill", "harassment.intimidation"),
    ("The bread I bought yesterday was mouldy", "safety.risk"),
    ("I don't recall ordering this", "safety.risk"),
    ("I was recalled to the office so I missed the delivery", "safety.risk"),
    ("The mould for the cake tin arrived bent", "safety.risk"),
    ("I don't want to live here anymore, the noise from your depot is awful", "safety.hazard"),
    ("I want to end my contract with you", "safety.hazard"),
    ("The driver was drunk with excitement about the match and forgot my parcel", "safety.hazard"),
    ("The price sign fell off the shelf", "safety.risk"),
    ("The knitting needles in your shop are overpriced", "safety.risk"),
    ("No hot water again, third time this month", "safety.vulnerable"),
    ("I ran out of patience with your app", "safety.vulnerable"),
    ("They left the parcel on the floor of the porch", "safety.vulnerable"),
    ("The guard followed me because I looked lost", "harassment.discrimination"),
    ("The gas hob on full power boils the pan in a minute", "safety.hazard"),
    ("The metal lid in the jar was rusty", "safety.hazard"),
    ("The brake light failed its MOT after your service", "safety.hazard"),
    ("Do your cookies contain allergens?", "safety.risk"),
    ("The parcel fell over in the van and the box is dented", "safety.risk"),
    ("I cut my hair short for the photo on your app", "safety.risk"),
    ("I called my mum a cow for buying from you", "harassment.discrimination"),
    ("They called me back after an hour", "harassment.discrimination"),
    ("The app went through my settings and reset them", "privacy.intrusion"),
    ("I took a photo of the damage for you", "privacy.intrusion"),
    ("You broke my heart with this ending", "safety.risk"),
    ("The label came off when I washed it", "safety.risk"),
    ("The balcony door is stiff", "safety.risk"),
    ("This ad made my husband sick of your brand", "safety.risk"),
    ("My mum passed away last year and you keep sending her letters", "safety.hazard"),
    ("My dad died after a long illness and you still charge his account", "safety.hazard"),
    ("They searched for my order for ages and still couldn't find it", "harassment.accused"),
    ("My parcel was stopped at customs for no reason", "harassment.accused"),
    ("Stop accusing me of not paying, I have the bank statement", "harassment.accused"),
    ("The website wouldn't let me leave a review", "harassment.accused"),
    ("Se cortó la luz dos veces esta semana", "safety.risk"),
    ("Se cortó el pelo en su peluquería y quedó fatal", "safety.risk"),
    ("La ligne s'est coupée au milieu de l'appel", "safety.risk"),
    ("The ramp at the car park is steep but fine", "harassment.access"),
    ("My wheelchair delivery is late by two weeks", "harassment.access"),
    ("The lift in your shop is slow and took ages to come", "harassment.access"),
    ("I told him to f off and hung up, the parcel is still missing", "harassment.discrimination"),
    ("fuck off, my parcel is late again", "harassment.discrimination"),
    ("I screamed 'fuck off' at the screen when the app logged me out again", "harassment.discrimination"),
    ("I swore at my laptop when your update crashed it", "harassment.discrimination"),
    ("Your agent kept calling me an hour later every day", "harassment.discrimination"),
    ("The council threatened to hit us with a 50 pound fine over your missed collection", "safety.threat"),
    ("They threatened to cut off the gas if I did not pay by Friday", "safety.threat"),
    ("They threatened to kill my account if I did not verify within a day", "safety.threat"),
    ("The trainer made a comment about my body fat percentage being wrong on the app", "harassment.sexual"),
    ("The staff made comments about my legs being too long for the seats", "harassment.sexual"),
    ("I told my boss about my account problems and he laughed", "privacy.exposure"),
    ("You called my manager about my order by mistake, no harm done", "privacy.exposure"),
    ("The driver left my parcel outside in the rain", "safety.vulnerable"),
    ("The nurse left my dad alone for five minutes to fetch the doctor", "safety.vulnerable"),
    ("You sold me a roller blind that doesn't fit the window", "financial.vulnerable"),
    ("You sold me a router that is vulnerable to hacking", "financial.vulnerable"),
    ("You sold me a mental health app that crashes", "financial.vulnerable"),
])
def test_near_misses_fire_none_of_those_rules(text, rule):
    result = default_router().classify(message(text))
    assert rule not in [reason.name for reason in result.reasons]


@pytest.mark.parametrize(("text", "rule", "urgency"), [
    ("Your store manager screamed f*** you at me in front of my kids", "harassment.discrimination", "high"),
    ("One of your staff yelled 'fuck off' at my elderly mother when she asked for help",
     "harassment.discrimination", "high"),
    ("your support agent told me to go f*** myself", "harassment.discrimination", "high"),
    ("Your cashier cursed at me and told me to get out of the shop", "harassment.discrimination", "high"),
    ("Your agent hung up on me after calling me an idiot", "harassment.discrimination", "high"),
    ("The delivery guy threatened to smash my face in if I complained again", "safety.threat", "critical"),
    ("The bailiff threatened to hit us with a charge and then threatened to punch my husband", "safety.threat",
     "critical"),
    ("Your driver threatened to kill me over a parking space", "safety.threat", "critical"),
    ("Your engineer made a comment about my body and kept asking for my number", "harassment.sexual", "high"),
    ("The driver made rude remarks about my figure when he handed over the parcel", "harassment.sexual", "high"),
])
def test_staff_who_swear_at_threaten_or_leer_at_a_customer_are_paged(text, rule, urgency):
    """Probes of 2026-12-07 the model and the rules before read as ordinary complaints."""
    result = default_router().classify(message(text))
    assert (result.reasons[0].name, result.urgency) == (rule, urgency)


@pytest.mark.parametrize(("text", "rule"), [
    ("Your debt collector keeps phoning my workplace and telling my boss about my debt", "privacy.exposure"),
    ("The pharmacy rang my neighbour about my prescription", "privacy.exposure"),
    ("The care worker left my mother alone with the front door wide open all night", "safety.vulnerable"),
    ("Your carers left my dad locked out in the rain for two hours", "safety.vulnerable"),
    ("I was sold a phone contract I can't afford because I have a learning disability", "financial.vulnerable"),
    ("Your salesman talked my 87 year old gran into a 4,000 pound boiler she doesn't need", "financial.vulnerable"),
    ("My dad has dementia and was signed up to three broadband contracts by your agents", "financial.vulnerable"),
])
def test_a_debt_told_an_employer_someone_a_carer_left_alone_and_a_sale_to_the_vulnerable_are_high(text, rule):
    """Probes of 2026-12-07 read as ordinary complaints before."""
    result = default_router().classify(message(text))
    assert (result.reasons[0].name, result.urgency) == (rule, "high")
